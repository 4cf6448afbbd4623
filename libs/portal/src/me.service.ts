import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ScopeLevel } from '@app/auth';
import type { AuthUser } from '@app/auth';
import {
  APP_CONFIG,
  AppException,
  AuditService,
  DomainEventType,
  ErrorCode,
  todayInSouthAfrica,
} from '@app/core';
import type { AppConfig } from '@app/core';
import { GeographyService } from '@app/geography';
import { LeadershipService, positionDto, structureDto } from '@app/leadership';
import { Member, MemberDto, MembersService, MemberStatus, toMemberDto } from '@app/members';
import { CheckoutDto, PaymentsService } from '@app/payments';
import {
  MyMembershipDto,
  MyPositionDto,
  RenewalIntentAcceptedDto,
  UpdateMyContactDto,
} from './dto/portal.dto.js';
import { RenewalIntent } from './renewal-intent.entity.js';

/** Who may renew from the portal: the statuses the membership dates drive. Others see an admin first. */
export const RENEWABLE: readonly MemberStatus[] = [
  MemberStatus.Active,
  MemberStatus.GracePeriod,
  MemberStatus.Expired,
];

/** A repeated renewal request within this window returns the intent already recorded. */
const INTENT_REUSE_HOURS = 24;
/** pg_advisory_xact_lock(class, key): the class of per-member renewal-intent locks (this branch's 7511–7519). */
const INTENT_LOCK_CLASS = 7511;

const INTENT_MESSAGE =
  'Card payments are not available. Your renewal request is recorded: pay the fee at your branch (cash) or by EFT; staff record the payment and your membership is renewed once a second official verifies it.';

export type RenewalStart =
  | { kind: 'checkout'; checkout: CheckoutDto }
  | { kind: 'intent'; accepted: RenewalIntentAcceptedDto };

/**
 * The member portal: everything here acts on the caller's OWN member (the user's member link), never on an id
 * from the request. A member user without a link (or whose member is gone) gets 404.
 */
@Injectable()
export class MeService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly members: MembersService,
    private readonly geography: GeographyService,
    private readonly leadership: LeadershipService,
    private readonly payments: PaymentsService,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async own(user: AuthUser): Promise<Member> {
    const member = user.memberId ? await this.members.findUnscoped(user.memberId) : null;
    if (!member || member.anonymisedAt) throw AppException.notFound('Your membership');
    return member;
  }

  async membership(user: AuthUser): Promise<MyMembershipDto> {
    const member = await this.own(user);
    const [ward, records, positions] = await Promise.all([
      this.geography.getWard(member.wardCode),
      this.members.recordsOf(member.id),
      this.positions(member.id),
    ]);
    this.audit.recordAccess({
      action: 'member.viewed',
      entityType: 'member',
      entityId: member.id,
      provinceCode: member.provinceCode,
      actorUserId: user.id,
      changes: { via: 'portal' },
    });
    return {
      member: toMemberDto(member),
      ward,
      renewals: records.renewals.map((r) => ({
        paidOn: r.paidOn,
        amountCents: r.amountCents,
        previousExpiresOn: r.previousExpiresOn,
        expiresOn: r.expiresOn,
      })),
      positions,
    };
  }

  private async positions(memberId: string): Promise<MyPositionDto[]> {
    const today = todayInSouthAfrica();
    const rows = await this.leadership.ownAppointments(memberId);
    return rows.flatMap((a) =>
      a.structure && a.position
        ? [
            {
              id: a.id,
              structure: structureDto(a.structure),
              position: positionDto(a.position),
              kind: a.kind,
              startsOn: a.startsOn,
              endsOn: a.endsOn,
              endReason: a.endReason,
              current: a.startsOn <= today && (a.endsOn === null || a.endsOn > today),
            },
          ]
        : [],
    );
  }

  async updateContact(user: AuthUser, dto: UpdateMyContactDto): Promise<MemberDto> {
    const member = await this.own(user);
    return this.members.updateOwnContact({ id: user.id }, member.id, dto);
  }

  /** Object to (true) or consent again to (false) being contacted; history and audit as for admins. */
  async setContactObjection(user: AuthUser, objected: boolean): Promise<MemberDto> {
    const member = await this.own(user);
    const fresh = await this.dataSource.transaction(async (manager) => {
      const current = await manager.findOneOrFail(Member, {
        where: { id: member.id },
        lock: { mode: 'pessimistic_write' },
      });
      if ((current.contactObjectedAt !== null) === objected) return current;
      return this.members.setPrivacyTimestamp(
        manager,
        current,
        'contactObjectedAt',
        objected ? new Date() : null,
        {
          action: objected ? 'member.contact_objected' : 'member.contact_consented',
          reason: 'by the member (portal)',
          actorId: user.id,
        },
      );
    });
    if (fresh.updatedAt !== member.updatedAt)
      this.members.publish(DomainEventType.MemberUpdated, fresh, {
        changedFields: ['contactObjectedAt'],
      });
    return toMemberDto(fresh);
  }

  /**
   * Renewal from the portal. With PayFast configured: the payments module's own checkout for my member (the
   * member acts within their own ward, recorded as the payment's recorder; the gateway's notification renews).
   * Without it: a renewal intent (not a payment), reused for 24 hours.
   */
  async startRenewal(user: AuthUser): Promise<RenewalStart> {
    const member = await this.own(user);
    if (!RENEWABLE.includes(member.status))
      throw new AppException(
        HttpStatus.CONFLICT,
        ErrorCode.InvalidStatusTransition,
        `A member who is ${member.status} cannot renew from the portal; contact your branch`,
        undefined,
        { currentStatus: member.status, action: 'renew' },
      );
    if (this.payments.cardPaymentsConfigured()) {
      const self = { ...user, scope: { level: ScopeLevel.Ward, code: member.wardCode } };
      return {
        kind: 'checkout',
        checkout: await this.payments.checkout(self, { memberId: member.id }),
      };
    }
    const intent = await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
        INTENT_LOCK_CLASS,
        member.id,
      ]);
      const recent = await manager
        .createQueryBuilder(RenewalIntent, 'i')
        .where('i.member_id = :memberId', { memberId: member.id })
        .andWhere(`i.created_at > now() - make_interval(hours => :hours)`, {
          hours: INTENT_REUSE_HOURS,
        })
        .orderBy('i.created_at', 'DESC')
        .getOne();
      if (recent) return recent;
      const saved = await manager.save(
        manager.create(RenewalIntent, {
          memberId: member.id,
          amountCents: this.config.MEMBERSHIP_FEE_CENTS,
          requestedBy: user.id,
          wardCode: member.wardCode,
          municipalityCode: member.municipalityCode,
          districtCode: member.districtCode,
          provinceCode: member.provinceCode,
        }),
      );
      await this.audit.record(
        {
          action: 'member.renewal_intent_recorded',
          entityType: 'member',
          entityId: member.id,
          provinceCode: member.provinceCode,
          actorUserId: user.id,
          changes: { intentId: saved.id, amountCents: saved.amountCents },
        },
        manager,
      );
      return saved;
    });
    return {
      kind: 'intent',
      accepted: {
        intent: { id: intent.id, amountCents: intent.amountCents, createdAt: intent.createdAt },
        message: INTENT_MESSAGE,
      },
    };
  }
}
