import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuthUser, requireWithinScope } from '@app/auth';
import type { ScopedActor } from '@app/auth';
import {
  APP_CONFIG,
  AppException,
  AuditService,
  DomainEventType,
  ErrorCode,
  todayInSouthAfrica,
} from '@app/core';
import type { AppConfig } from '@app/core';
import {
  ChangeMemberStatusDto,
  MemberDto,
  MemberStatusAction,
  RenewMembershipDto,
  TransferMemberDto,
} from './dto/member.dto.js';
import { MemberHistory, MemberHistoryKind } from './entities/member-history.entity.js';
import { MemberRenewal } from './entities/member-renewal.entity.js';
import { MemberTransfer } from './entities/member-transfer.entity.js';
import { Member, MemberStatus } from './entities/member.entity.js';
import { isUniqueViolation, memberErased } from './member-errors.js';
import { auditable, maskedDiff, memberArea, toMemberDto } from './member-mapper.js';
import { addMonths, statusForExpiry } from './membership-dates.js';
import { MembersService } from './members.service.js';

/** Which statuses each admin action may start from. */
const ALLOWED_FROM: Record<MemberStatusAction, readonly MemberStatus[]> = {
  [MemberStatusAction.Suspend]: [
    MemberStatus.Active,
    MemberStatus.GracePeriod,
    MemberStatus.Expired,
  ],
  [MemberStatusAction.Cancel]: [
    MemberStatus.Active,
    MemberStatus.GracePeriod,
    MemberStatus.Expired,
    MemberStatus.Suspended,
  ],
  [MemberStatusAction.Reinstate]: [MemberStatus.Suspended, MemberStatus.Cancelled],
  [MemberStatusAction.Deceased]: [
    MemberStatus.Pending,
    MemberStatus.Active,
    MemberStatus.GracePeriod,
    MemberStatus.Expired,
    MemberStatus.Suspended,
    MemberStatus.Cancelled,
  ],
};

/** Statuses the membership dates drive; the others are set by an admin. */
const DATE_DRIVEN: readonly MemberStatus[] = [
  MemberStatus.Active,
  MemberStatus.GracePeriod,
  MemberStatus.Expired,
];

/**
 * A member's life after creation: admin status actions (the transition table ALLOWED_FROM), renewals and
 * transfers. Each change runs in one transaction with its history and audit; events go out after commit.
 */
@Injectable()
export class MemberLifecycleService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly members: MembersService,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async changeStatus(actor: AuthUser, id: string, dto: ChangeMemberStatusDto): Promise<MemberDto> {
    const { member, from } = await this.dataSource.transaction(async (manager) => {
      const current = await this.members.findInScope(actor, id, { manager, lock: true });
      if (current.anonymisedAt) throw memberErased();
      if (!ALLOWED_FROM[dto.action].includes(current.status)) {
        throw new AppException(
          HttpStatus.CONFLICT,
          ErrorCode.InvalidStatusTransition,
          `A member who is ${current.status} cannot be given the action ${dto.action}`,
          undefined,
          { currentStatus: current.status, action: dto.action },
        );
      }
      const today = todayInSouthAfrica();
      const to: MemberStatus =
        dto.action === MemberStatusAction.Suspend
          ? MemberStatus.Suspended
          : dto.action === MemberStatusAction.Cancel
            ? MemberStatus.Cancelled
            : dto.action === MemberStatusAction.Deceased
              ? MemberStatus.Deceased
              : current.expiresOn
                ? statusForExpiry(current.expiresOn, today, this.config.GRACE_PERIOD_DAYS)
                : MemberStatus.Expired;
      const fresh = await this.setStatus(manager, current, to, dto.reason, actor.id, {
        action: dto.action,
      });
      return { member: fresh, from: current.status };
    });
    this.members.publish(DomainEventType.MemberStatusChanged, member, { previousStatus: from });
    return toMemberDto(member);
  }

  private async setStatus(
    manager: EntityManager,
    current: Member,
    to: MemberStatus,
    reason: string | null,
    actorId: string | null,
    details: Record<string, unknown>,
    extra: Partial<Member> = {},
    kind = MemberHistoryKind.StatusChanged,
    action?: string,
  ): Promise<Member> {
    await manager
      .createQueryBuilder()
      .update(Member)
      .set({ status: to, ...extra })
      .where('id = :id', { id: current.id })
      .execute();
    const fresh = await manager.findOneByOrFail(Member, { id: current.id });
    await manager.save(
      manager.create(MemberHistory, {
        memberId: current.id,
        kind,
        fromStatus: current.status,
        toStatus: to,
        reason,
        details,
        actorUserId: actorId,
      }),
      { reload: false },
    );
    await this.audit.record(
      {
        action:
          action ??
          (kind === MemberHistoryKind.Renewed ? 'member.renewed' : 'member.status_changed'),
        entityType: 'member',
        entityId: current.id,
        provinceCode: current.provinceCode,
        changes: {
          ...maskedDiff(auditable(current), auditable(fresh)),
          ...(reason ? { reason } : {}),
        },
      },
      manager,
    );
    return fresh;
  }

  /**
   * The audited manual renewal (POST /members/{id}/renewals, national admins only, with a reason): takes effect
   * at once, without a verified payment. Every other renewal goes through a verified payment (libs/payments).
   */
  async renew(actor: AuthUser, id: string, dto: RenewMembershipDto): Promise<MemberDto> {
    const today = todayInSouthAfrica();
    if (dto.paidOn > today)
      throw AppException.badRequest('paidOn may not be in the future', 'paidOn', 'future');
    const { member, from } = await this.dataSource.transaction(async (manager) => {
      const renewed = await this.renewInTransaction(manager, actor, id, {
        paidOn: dto.paidOn,
        amountCents: dto.amountCents ?? this.config.MEMBERSHIP_FEE_CENTS,
        reference: dto.reference,
        reason: dto.reason,
        manual: true,
      });
      return { member: renewed.member, from: renewed.previousStatus };
    });
    this.publishRenewal(member, from);
    return toMemberDto(member);
  }

  /** After commit: the events of a renewal (status_changed when the status moved, else updated). */
  publishRenewal(member: Member, from: MemberStatus): void {
    if (member.status !== from)
      this.members.publish(DomainEventType.MemberStatusChanged, member, { previousStatus: from });
    else
      this.members.publish(DomainEventType.MemberUpdated, member, {
        changedFields: ['lastPaidOn', 'expiresOn'],
      });
  }

  /**
   * Renews inside the caller's transaction (libs/payments calls it when a payment is verified): locks the member
   * (404 outside the actor's scope), extends expiresOn to the later of the current expiry and paidOn + the
   * period, writes the member_renewals row, the history entry and the audit event. The reference must be unique
   * across renewals (409). Publish with publishRenewal after the transaction commits.
   */
  async renewInTransaction(
    manager: EntityManager,
    actor: ScopedActor & { id: string | null },
    id: string,
    renewal: {
      paidOn: string;
      amountCents: number;
      reference: string;
      reason?: string | null;
      manual?: boolean;
      paymentId?: string;
    },
  ): Promise<{ member: Member; previousStatus: MemberStatus; renewalId: string }> {
    const today = todayInSouthAfrica();
    const current = await this.members.findInScope(actor, id, { manager, lock: true });
    if (!DATE_DRIVEN.includes(current.status)) {
      throw new AppException(
        HttpStatus.CONFLICT,
        ErrorCode.InvalidStatusTransition,
        `A member who is ${current.status} cannot renew; reinstate them first`,
        undefined,
        { currentStatus: current.status, action: 'renew' },
      );
    }
    if (await manager.existsBy(MemberRenewal, { reference: renewal.reference })) {
      throw AppException.conflict('A payment with this reference was already recorded');
    }
    const lastPaidOn =
      current.lastPaidOn && current.lastPaidOn > renewal.paidOn
        ? current.lastPaidOn
        : renewal.paidOn;
    const fromPayment = addMonths(renewal.paidOn, this.config.MEMBERSHIP_PERIOD_MONTHS);
    const expiresOn =
      current.expiresOn && current.expiresOn > fromPayment ? current.expiresOn : fromPayment;
    let renewalId: string;
    try {
      const inserted = await manager.insert(MemberRenewal, {
        memberId: id,
        paidOn: renewal.paidOn,
        amountCents: renewal.amountCents,
        reference: renewal.reference,
        previousExpiresOn: current.expiresOn,
        expiresOn,
        recordedBy: actor.id,
      });
      renewalId = (inserted.identifiers[0] as { id: string }).id;
    } catch (error) {
      if (isUniqueViolation(error))
        throw AppException.conflict('A payment with this reference was already recorded');
      throw error;
    }
    const to = statusForExpiry(expiresOn, today, this.config.GRACE_PERIOD_DAYS);
    const fresh = await this.setStatus(
      manager,
      current,
      to,
      renewal.reason ?? null,
      actor.id,
      {
        paidOn: renewal.paidOn,
        amountCents: renewal.amountCents,
        reference: renewal.reference,
        previousExpiresOn: current.expiresOn,
        expiresOn,
        ...(renewal.manual ? { manual: true } : {}),
        ...(renewal.paymentId ? { paymentId: renewal.paymentId } : {}),
      },
      { lastPaidOn, expiresOn },
      MemberHistoryKind.Renewed,
      renewal.manual ? 'member.manual_renewal' : undefined,
    );
    return { member: fresh, previousStatus: current.status, renewalId };
  }

  /**
   * A payment entry in the member's history (libs/payments: recorded, verified, rejected), inside the caller's
   * transaction. `details` carries ids, method, amount and status: never personal data.
   */
  async recordPaymentHistory(
    manager: EntityManager,
    memberId: string,
    actorUserId: string | null,
    details: Record<string, unknown>,
    reason: string | null = null,
  ): Promise<void> {
    await manager.save(
      manager.create(MemberHistory, {
        memberId,
        kind: MemberHistoryKind.Payment,
        reason,
        details,
        actorUserId,
      }),
      { reload: false },
    );
  }

  async transfer(actor: AuthUser, id: string, dto: TransferMemberDto): Promise<MemberDto> {
    const target = await this.members.wardChain(dto.toWardCode, 'toWardCode');
    const { member, previous } = await this.dataSource.transaction(async (manager) => {
      const current = await this.members.findInScope(actor, id, { manager, lock: true });
      requireWithinScope(actor, target, 'The destination ward is outside your area');
      return this.moveInTransaction(manager, current, target, actor.id, dto.reason ?? null);
    });
    this.members.publish(DomainEventType.MemberTransferred, member, { previousArea: previous });
    return toMemberDto(member);
  }

  /**
   * A transfer the member asked for and an admin of the destination ward approved (portal): the caller has
   * checked the approver's scope over the destination and runs this inside its own transaction (with the
   * request's decision). The same history, audit and transfer row as transfer(); publish with
   * publishTransferred() after commit.
   */
  async transferApproved(
    manager: EntityManager,
    id: string,
    toWardCode: string,
    actorId: string,
    reason: string | null,
  ): Promise<{ member: Member; previous: ReturnType<typeof memberArea> }> {
    const target = await this.members.wardChain(toWardCode, 'toWardCode');
    const current = await manager.findOne(Member, {
      where: { id },
      lock: { mode: 'pessimistic_write' },
    });
    if (!current) throw AppException.notFound(`Member ${id}`);
    if (current.anonymisedAt) throw memberErased();
    return this.moveInTransaction(manager, current, target, actorId, reason);
  }

  publishTransferred(member: Member, previous: ReturnType<typeof memberArea>): void {
    this.members.publish(DomainEventType.MemberTransferred, member, { previousArea: previous });
  }

  private async moveInTransaction(
    manager: EntityManager,
    current: Member,
    target: {
      wardCode: string;
      municipalityCode: string;
      districtCode: string;
      provinceCode: string;
    },
    actorId: string | null,
    reason: string | null,
  ): Promise<{ member: Member; previous: ReturnType<typeof memberArea> }> {
    const id = current.id;
    if (current.wardCode === target.wardCode)
      throw AppException.conflict(`The member is already in ward ${target.wardCode}`);
    await manager
      .createQueryBuilder()
      .update(Member)
      .set({
        wardCode: target.wardCode,
        municipalityCode: target.municipalityCode,
        districtCode: target.districtCode,
        provinceCode: target.provinceCode,
      })
      .where('id = :id', { id })
      .execute();
    await manager.insert(MemberTransfer, {
      memberId: id,
      fromWardCode: current.wardCode,
      fromProvinceCode: current.provinceCode,
      toWardCode: target.wardCode,
      toProvinceCode: target.provinceCode,
      reason,
      transferredBy: actorId,
    });
    await manager.insert(MemberHistory, {
      memberId: id,
      kind: MemberHistoryKind.Transferred,
      reason,
      details: { fromWardCode: current.wardCode, toWardCode: target.wardCode },
      actorUserId: actorId,
    });
    const fresh = await manager.findOneByOrFail(Member, { id });
    await this.audit.record(
      {
        action: 'member.transferred',
        entityType: 'member',
        entityId: id,
        provinceCode: fresh.provinceCode,
        changes: maskedDiff(auditable(current), auditable(fresh)),
      },
      manager,
    );
    return { member: fresh, previous: memberArea(current) };
  }
}
