import { randomBytes } from 'node:crypto';
import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import {
  AccessResource,
  AccessService,
  AuthUser,
  scoped,
  ScopedActor,
  ScopeLevel,
} from '@app/auth';
import {
  APP_CONFIG,
  AppException,
  AuditService,
  decodeCreatedAtCursor,
  DomainEventBus,
  DomainEventType,
  ErrorCode,
  invalidCursor,
  Page,
  todayInSouthAfrica,
  toPage,
} from '@app/core';
import type { AppConfig } from '@app/core';
import {
  ApplicationsService,
  ApplicationStatus,
  isUniqueViolation,
  Member,
  MemberLifecycleService,
  MembersService,
  MemberStatus,
} from '@app/members';
import {
  CheckoutDto,
  CreateCheckoutDto,
  ListPaymentsQueryDto,
  PaymentDto,
  RecordPaymentDto,
} from './dto/payment.dto.js';
import { Payment, PaymentMethod, PaymentStatus } from './entities/payment.entity.js';
import {
  NotificationRefused,
  PAYMENT_GATEWAY,
  VerifiedNotification,
} from './gateway/payment-gateway.port.js';
import type { PaymentGateway } from './gateway/payment-gateway.port.js';

export function toPaymentDto(p: Payment): PaymentDto {
  return {
    id: p.id,
    memberId: p.memberId,
    applicationId: p.applicationId,
    method: p.method,
    provider: p.provider,
    reference: p.reference,
    providerPaymentId: p.providerPaymentId,
    amountCents: p.amountCents,
    paidOn: p.paidOn,
    status: p.status,
    rejectionReason: p.rejectionReason,
    note: p.note,
    recordedBy: p.recordedBy,
    decidedBy: p.decidedBy,
    decidedVia: p.decidedVia,
    decidedAt: p.decidedAt,
    renewalId: p.renewalId,
    wardCode: p.wardCode,
    municipalityCode: p.municipalityCode,
    districtCode: p.districtCode,
    provinceCode: p.provinceCode,
    createdAt: p.createdAt,
  };
}

/** The gateway acts with national reach: its notification is checked by signature, not by a user's scope. */
const GATEWAY_ACTOR: ScopedActor & { id: null } = {
  id: null,
  scope: { level: ScopeLevel.National, code: null },
};

/** The member_renewals reference of a verified payment (unique across renewals, whatever the method). */
export const renewalReference = (paymentId: string): string => `payment:${paymentId}`;

function duplicateReference(): AppException {
  return AppException.conflict(
    'A payment with this reference was already recorded for this method',
  );
}

function notPending(p: Payment, action: string): AppException {
  return new AppException(
    HttpStatus.CONFLICT,
    ErrorCode.InvalidStatusTransition,
    `A payment that is ${p.status} cannot be given the action ${action}`,
    undefined,
    { currentStatus: p.status, action },
  );
}

export type NotificationOutcome = 'applied' | 'repeat' | 'ignored';

/**
 * Payments of members (renewals) and applications (joining fees). A payment is recorded pending; a second user
 * whose scope covers it verifies (the renewal is applied in the same transaction) or rejects it (four eyes).
 * Card payments are confirmed by the gateway's validated notification instead. Every change is audited, in the
 * member's history, and published after commit.
 */
@Injectable()
export class PaymentsService {
  private readonly logger = new Logger(PaymentsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly access: AccessService,
    private readonly members: MembersService,
    private readonly lifecycle: MemberLifecycleService,
    private readonly applications: ApplicationsService,
    private readonly audit: AuditService,
    private readonly events: DomainEventBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PAYMENT_GATEWAY) private readonly gateway: PaymentGateway,
  ) {}

  // --- reused by other modules ---

  /**
   * Every payment of a member and of the given applications (theirs), oldest first: libs/privacy's POPIA data
   * export. The caller has already checked the member is inside its scope.
   */
  async recordsOf(
    memberId: string,
    applicationIds: readonly string[] = [],
    manager?: EntityManager,
  ): Promise<PaymentDto[]> {
    const rows = await (manager ?? this.dataSource.manager)
      .createQueryBuilder(Payment, 'p')
      .where('p.member_id = :memberId', { memberId })
      .orWhere('p.application_id = ANY(:applicationIds::uuid[])', {
        applicationIds: [...applicationIds],
      })
      .orderBy('p.created_at', 'ASC')
      .addOrderBy('p.id', 'ASC')
      .getMany();
    return rows.map(toPaymentDto);
  }

  /** Whether an application has a verified joining-fee payment (two-tier approval). */
  async applicationHasVerifiedPayment(
    applicationId: string,
    manager?: EntityManager,
  ): Promise<boolean> {
    return (manager ?? this.dataSource.manager).existsBy(Payment, {
      applicationId,
      status: PaymentStatus.Verified,
    });
  }

  // --- routes ---

  async record(actor: AuthUser, dto: RecordPaymentDto): Promise<PaymentDto> {
    if ((dto.memberId === undefined) === (dto.applicationId === undefined))
      throw AppException.badRequest('Give exactly one of memberId and applicationId', 'memberId');
    if (dto.paidOn > todayInSouthAfrica())
      throw AppException.badRequest('paidOn may not be in the future', 'paidOn', 'future');
    const payment = await this.dataSource
      .transaction(async (manager) => {
        const area = await this.subjectArea(actor, dto, manager);
        const saved = await manager.save(
          manager.create(Payment, {
            memberId: dto.memberId ?? null,
            applicationId: dto.applicationId ?? null,
            method: dto.method,
            provider: dto.method,
            reference: dto.reference,
            amountCents: dto.amountCents ?? this.config.MEMBERSHIP_FEE_CENTS,
            paidOn: dto.paidOn,
            status: PaymentStatus.Pending,
            note: dto.note ?? null,
            recordedBy: actor.id,
            ...area,
          }),
        );
        await this.written(manager, saved, 'recorded', actor.id);
        return saved;
      })
      .catch((error: unknown) => {
        if (isUniqueViolation(error)) throw duplicateReference();
        throw error;
      });
    this.publish(DomainEventType.PaymentRecorded, payment);
    return toPaymentDto(payment);
  }

  /** The area of the member or application paid for (404 outside the actor's scope; a closed one is 409). */
  private async subjectArea(
    actor: ScopedActor,
    subject: { memberId?: string; applicationId?: string },
    manager: EntityManager,
  ): Promise<Pick<Payment, 'wardCode' | 'municipalityCode' | 'districtCode' | 'provinceCode'>> {
    if (subject.memberId) {
      const m = await this.members.findInScope(actor, subject.memberId, { manager });
      if (m.anonymisedAt || [MemberStatus.Deceased, MemberStatus.Cancelled].includes(m.status))
        throw AppException.conflict(`A member who is ${m.status} cannot pay a renewal`);
      return area(m);
    }
    const a = await this.applications.statusAndArea(actor, subject.applicationId ?? '', {
      manager,
    });
    if ([ApplicationStatus.Approved, ApplicationStatus.Rejected].includes(a.status))
      throw AppException.conflict(`The application is already ${a.status}`);
    return area(a);
  }

  async get(actor: AuthUser, id: string): Promise<PaymentDto> {
    await this.access.require(actor, AccessResource.Payment, 'read', [id]);
    return toPaymentDto(await this.dataSource.manager.findOneByOrFail(Payment, { id }));
  }

  async list(actor: AuthUser, query: ListPaymentsQueryDto): Promise<Page<PaymentDto>> {
    const qb = scoped(this.dataSource.manager.createQueryBuilder(Payment, 'p'), actor.scope, 'p');
    if (query.status) qb.andWhere('p.status = :status', { status: query.status });
    if (query.memberId) qb.andWhere('p.member_id = :memberId', { memberId: query.memberId });
    if (query.applicationId)
      qb.andWhere('p.application_id = :applicationId', { applicationId: query.applicationId });
    if (query.cursor) {
      const after = decodeCreatedAtCursor(query.cursor);
      if (!after) throw invalidCursor();
      qb.andWhere(
        `(p.created_at, p.id) < (CAST(:cursorAt AS timestamp) AT TIME ZONE 'UTC', :cursorId)`,
        { cursorAt: after.at, cursorId: after.id },
      );
    }
    qb.addSelect(
      `to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`,
      'cursor_at',
    )
      .orderBy('p.createdAt', 'DESC')
      .addOrderBy('p.id', 'DESC')
      .limit(query.limit + 1);
    const { entities, raw } = await qb.getRawAndEntities<{ cursor_at: string }>();
    const rows = entities.map((p, i) => ({ dto: toPaymentDto(p), at: raw[i]?.cursor_at ?? '' }));
    const page = toPage(rows, query.limit, (r) => [r.at, r.dto.id]);
    return { data: page.data.map((r) => r.dto), nextCursor: page.nextCursor };
  }

  /**
   * Four eyes: the payment row is locked (FOR UPDATE), so of concurrent verifications one wins and the others
   * find it decided (409). The recorder may not decide their own payment (403); the verifier's scope must cover
   * the payment (403) and its member (404). A member payment renews in the same transaction.
   */
  async verify(actor: AuthUser, id: string): Promise<PaymentDto> {
    const result = await this.dataSource.transaction(async (manager) => {
      const current = await this.lockForDecision(actor, id, manager, 'verify');
      let renewal: Awaited<ReturnType<MemberLifecycleService['renewInTransaction']>> | null = null;
      if (current.memberId) {
        renewal = await this.lifecycle.renewInTransaction(manager, actor, current.memberId, {
          paidOn: current.paidOn ?? todayInSouthAfrica(),
          amountCents: current.amountCents,
          reference: renewalReference(current.id),
          paymentId: current.id,
        });
      } else if (current.applicationId) {
        const a = await this.applications.statusAndArea(actor, current.applicationId, { manager });
        if ([ApplicationStatus.Approved, ApplicationStatus.Rejected].includes(a.status))
          throw AppException.conflict(`The application is already ${a.status}`);
      }
      await manager.update(Payment, id, {
        status: PaymentStatus.Verified,
        decidedBy: actor.id,
        decidedVia: 'user',
        decidedAt: new Date(),
        renewalId: renewal?.renewalId ?? null,
      });
      const fresh = await manager.findOneByOrFail(Payment, { id });
      await this.written(manager, fresh, 'verified', actor.id);
      return { payment: fresh, renewal };
    });
    if (result.renewal)
      this.lifecycle.publishRenewal(result.renewal.member, result.renewal.previousStatus);
    this.publish(DomainEventType.PaymentVerified, result.payment);
    return toPaymentDto(result.payment);
  }

  async reject(actor: AuthUser, id: string, reason: string): Promise<PaymentDto> {
    const payment = await this.dataSource.transaction(async (manager) => {
      await this.lockForDecision(actor, id, manager, 'reject');
      await manager.update(Payment, id, {
        status: PaymentStatus.Rejected,
        rejectionReason: reason,
        decidedBy: actor.id,
        decidedVia: 'user',
        decidedAt: new Date(),
      });
      const fresh = await manager.findOneByOrFail(Payment, { id });
      await this.written(manager, fresh, 'rejected', actor.id, reason);
      return fresh;
    });
    this.publish(DomainEventType.PaymentRejected, payment);
    return toPaymentDto(payment);
  }

  private async lockForDecision(
    actor: AuthUser,
    id: string,
    manager: EntityManager,
    action: 'verify' | 'reject',
  ): Promise<Payment> {
    await this.access.require(actor, AccessResource.Payment, 'write', [id], {
      manager,
      lock: true,
    });
    const current = await manager.findOneByOrFail(Payment, { id });
    if (current.status !== PaymentStatus.Pending) throw notPending(current, action);
    if (current.method === PaymentMethod.Card)
      throw AppException.conflict('Card payments are confirmed by the gateway, not by hand');
    if (current.recordedBy === actor.id)
      throw AppException.forbidden(
        'Four eyes: a payment must be verified or rejected by someone other than the user who recorded it',
      );
    return current;
  }

  // --- the card gateway ---

  /** Whether card checkouts can be started (the portal records a renewal intent when not). */
  cardPaymentsConfigured(): boolean {
    return this.gateway.configured();
  }

  async checkout(actor: AuthUser, dto: CreateCheckoutDto): Promise<CheckoutDto> {
    // scope first (404 outside), so an unconfigured gateway says nothing about members elsewhere
    await this.members.findInScope(actor, dto.memberId);
    if (!this.gateway.configured())
      throw new AppException(
        HttpStatus.SERVICE_UNAVAILABLE,
        ErrorCode.ServiceUnavailable,
        'Card payments are not configured',
      );
    const payment = await this.dataSource.transaction(async (manager) => {
      const subject = await this.subjectArea(actor, { memberId: dto.memberId }, manager);
      const saved = await manager.save(
        manager.create(Payment, {
          memberId: dto.memberId,
          applicationId: null,
          method: PaymentMethod.Card,
          provider: this.gateway.provider,
          reference: `EFF-${randomBytes(12).toString('hex')}`,
          amountCents: dto.amountCents ?? this.config.MEMBERSHIP_FEE_CENTS,
          paidOn: null,
          status: PaymentStatus.Pending,
          recordedBy: actor.id,
          ...subject,
        }),
      );
      await this.written(manager, saved, 'recorded', actor.id);
      return saved;
    });
    this.publish(DomainEventType.PaymentRecorded, payment);
    const hosted = this.gateway.checkout({
      reference: payment.reference,
      amountCents: payment.amountCents,
      itemName: 'EFF membership',
      paymentId: payment.id,
    });
    return { payment: toPaymentDto(payment), ...hosted };
  }

  /**
   * A gateway notification: checked by the adapter (signature, source, amount, confirmation) before anything
   * is read for change. Then, with the payment locked: COMPLETE verifies a pending payment and renews;
   * FAILED/CANCELLED rejects a pending one; a repeat of an applied notification, or one arriving after the
   * payment was decided (out of order), changes nothing. Refused notifications throw NotificationRefused.
   */
  async notification(
    fields: Record<string, string>,
    sourceIp: string | null,
  ): Promise<NotificationOutcome> {
    const note = await this.gateway.verifyNotification(fields, sourceIp, async (reference) => {
      const p = await this.dataSource.manager.findOneBy(Payment, {
        method: PaymentMethod.Card,
        provider: this.gateway.provider,
        reference,
      });
      return p?.amountCents ?? null;
    });
    const result = await this.dataSource.transaction(async (manager) => {
      const rows = await manager
        .createQueryBuilder(Payment, 'p')
        .setLock('pessimistic_write')
        .where('p.method = :method AND p.provider = :provider AND p.reference = :reference', {
          method: PaymentMethod.Card,
          provider: this.gateway.provider,
          reference: note.reference,
        })
        .getMany();
      const current = rows[0];
      if (!current || (note.paymentId && note.paymentId !== current.id))
        throw new NotificationRefused('unknown payment');
      return this.applyNotification(manager, current, note);
    });
    if (result.renewal)
      this.lifecycle.publishRenewal(result.renewal.member, result.renewal.previousStatus);
    if (result.event) this.publish(result.event, result.payment);
    return result.outcome;
  }

  private async applyNotification(
    manager: EntityManager,
    current: Payment,
    note: VerifiedNotification,
  ): Promise<{
    outcome: NotificationOutcome;
    payment: Payment;
    event: DomainEventType.PaymentVerified | DomainEventType.PaymentRejected | null;
    renewal: { member: Member; previousStatus: MemberStatus } | null;
  }> {
    const unchanged = { payment: current, event: null, renewal: null };
    if (current.status !== PaymentStatus.Pending) {
      const repeat = current.providerPaymentId === note.providerPaymentId;
      this.logger.log(
        { paymentId: current.id, status: current.status, outcome: note.outcome },
        repeat ? 'Repeated gateway notification' : 'Gateway notification after the decision',
      );
      // PayFast says money was taken for a payment we already rejected (another gateway transaction): nothing
      // changes, but it must not vanish in a log line; finance reconciles it from the audit trail.
      if (!repeat && note.outcome === 'complete' && current.status === PaymentStatus.Rejected) {
        this.logger.warn({ paymentId: current.id }, 'Gateway COMPLETE for a rejected payment');
        await this.audit.record(
          {
            action: 'payment.gateway_complete_after_rejection',
            entityType: 'payment',
            entityId: current.id,
            provinceCode: current.provinceCode,
            changes: {
              paymentId: current.id,
              providerPaymentId: note.providerPaymentId,
              amountCents: note.amountCents,
              status: current.status,
            },
            actorUserId: null,
          },
          manager,
        );
      }
      return { outcome: repeat ? 'repeat' : 'ignored', ...unchanged };
    }
    if (note.outcome === 'pending') return { outcome: 'ignored', ...unchanged };
    const providerPaymentId = note.providerPaymentId;
    if (note.outcome === 'failed') {
      await manager.update(Payment, current.id, {
        status: PaymentStatus.Rejected,
        rejectionReason: 'The card payment failed or was cancelled at the gateway',
        providerPaymentId,
        decidedVia: 'payfast',
        decidedAt: new Date(),
      });
      const fresh = await manager.findOneByOrFail(Payment, { id: current.id });
      await this.written(manager, fresh, 'rejected', null, fresh.rejectionReason);
      return {
        outcome: 'applied',
        payment: fresh,
        event: DomainEventType.PaymentRejected,
        renewal: null,
      };
    }
    const paidOn = todayInSouthAfrica();
    const renewal = current.memberId
      ? await this.lifecycle.renewInTransaction(manager, GATEWAY_ACTOR, current.memberId, {
          paidOn,
          amountCents: current.amountCents,
          reference: renewalReference(current.id),
          paymentId: current.id,
        })
      : null;
    await manager.update(Payment, current.id, {
      status: PaymentStatus.Verified,
      providerPaymentId,
      paidOn,
      decidedVia: 'payfast',
      decidedAt: new Date(),
      renewalId: renewal?.renewalId ?? null,
    });
    const fresh = await manager.findOneByOrFail(Payment, { id: current.id });
    await this.written(manager, fresh, 'verified', null);
    return { outcome: 'applied', payment: fresh, event: DomainEventType.PaymentVerified, renewal };
  }

  // --- shared ---

  /** Audit event and, for a member's payment, the history entry: ids, method, amount, status; no personal data. */
  private async written(
    manager: EntityManager,
    p: Payment,
    event: 'recorded' | 'verified' | 'rejected',
    actorUserId: string | null,
    reason: string | null = null,
  ): Promise<void> {
    const details = {
      event,
      paymentId: p.id,
      method: p.method,
      amountCents: p.amountCents,
      reference: p.reference,
      status: p.status,
      ...(p.applicationId ? { applicationId: p.applicationId } : {}),
    };
    await this.audit.record(
      {
        action: `payment.${event}`,
        entityType: 'payment',
        entityId: p.id,
        provinceCode: p.provinceCode,
        changes: { ...details, ...(reason ? { reason } : {}) },
        actorUserId,
      },
      manager,
    );
    if (p.memberId)
      await this.lifecycle.recordPaymentHistory(manager, p.memberId, actorUserId, details, reason);
  }

  private publish(
    type:
      | DomainEventType.PaymentRecorded
      | DomainEventType.PaymentVerified
      | DomainEventType.PaymentRejected,
    p: Payment,
  ): void {
    this.events.publish({
      type,
      area: area(p),
      payload: {
        paymentId: p.id,
        memberId: p.memberId,
        applicationId: p.applicationId,
        method: p.method,
        status: p.status,
        wardCode: p.wardCode,
      },
    });
  }
}

function area(
  a: Pick<Payment, 'wardCode' | 'municipalityCode' | 'districtCode' | 'provinceCode'>,
): Pick<Payment, 'wardCode' | 'municipalityCode' | 'districtCode' | 'provinceCode'> {
  return {
    wardCode: a.wardCode,
    municipalityCode: a.municipalityCode,
    districtCode: a.districtCode,
    provinceCode: a.provinceCode,
  };
}
