import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainEventType } from '@app/core';
import { Member, MembersService } from '@app/members';

/** Which members an objection is for: by cell number (an SMS STOP reply) or by id (an unsubscribe link). */
export type ObjectingMembers = { cellNumbers: string[] } | { memberIds: string[] };

/**
 * Records members' objection to being contacted as the privacy route does (contactObjectedAt, a history entry,
 * audited as member.objection_changed, member.updated published). Members who objected already and erased
 * members change nothing. Campaigns and reminders leave objectors out from then on.
 */
@Injectable()
export class ContactObjectionService {
  private readonly logger = new Logger(ContactObjectionService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly members: MembersService,
  ) {}

  /** Returns how many members' objections were recorded now. */
  async record(who: ObjectingMembers, reason: string): Promise<number> {
    const values = 'cellNumbers' in who ? who.cellNumbers : who.memberIds;
    if (values.length === 0) return 0;
    const changed = await this.dataSource.transaction(async (manager) => {
      const qb = manager.createQueryBuilder(Member, 'm').setLock('pessimistic_write');
      if ('cellNumbers' in who) qb.where('m.cell_number = ANY(:values)', { values });
      else qb.where('m.id = ANY(CAST(:values AS uuid[]))', { values });
      const found = await qb
        .andWhere('m.contact_objected_at IS NULL')
        .andWhere('m.anonymised_at IS NULL')
        .orderBy('m.id')
        .getMany();
      const fresh: Member[] = [];
      for (const member of found) {
        fresh.push(
          await this.members.setPrivacyTimestamp(manager, member, 'contactObjectedAt', new Date(), {
            action: 'member.objection_changed',
            reason,
            actorId: null,
          }),
        );
      }
      return fresh;
    });
    for (const member of changed) this.members.publish(DomainEventType.MemberUpdated, member);
    if (changed.length > 0) this.logger.log(`${reason}: ${changed.length} objection(s) recorded`);
    return changed.length;
  }
}
