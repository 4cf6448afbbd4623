import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppException, AuditService, DomainEventType } from '@app/core';
import type { AuthUser } from '@app/auth';
import { GeographyService } from '@app/geography';
import { Member, MemberDto, MembersService, toMemberDto } from '@app/members';
import { MyMembershipDto, UpdateMyContactDto } from './dto/portal.dto.js';

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
    private readonly audit: AuditService,
  ) {}

  private async own(user: AuthUser): Promise<Member> {
    const member = user.memberId ? await this.members.findUnscoped(user.memberId) : null;
    if (!member || member.anonymisedAt) throw AppException.notFound('Your membership');
    return member;
  }

  async membership(user: AuthUser): Promise<MyMembershipDto> {
    const member = await this.own(user);
    const [ward, records] = await Promise.all([
      this.geography.getWard(member.wardCode),
      this.members.recordsOf(member.id),
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
    };
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
}
