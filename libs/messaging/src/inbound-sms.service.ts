import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainEventType } from '@app/core';
import { Member, MembersService, normaliseCellNumber } from '@app/members';

/** Replies that withdraw consent to campaign and reminder messages (first word, case-insensitive). */
export const STOP_WORDS = ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT'];

export interface InboundSms {
  from: string;
  body: string;
}

export function isStopReply(body: string): boolean {
  const first =
    body
      .trim()
      .split(/\s+/)[0]
      ?.toUpperCase()
      .replace(/[^A-Z]/g, '') ?? '';
  return STOP_WORDS.includes(first);
}

/** A sender address as the gateway gives it (+27…, 27…, 0…) in the E.164 form members' numbers are kept in. */
export function senderNumber(from: string): string | null {
  const trimmed = from.trim();
  return normaliseCellNumber(/^27\d{9}$/.test(trimmed) ? `+${trimmed}` : trimmed);
}

/**
 * Inbound SMS: a STOP reply from a member's cell number records their objection to being contacted (as the
 * privacy route does: contactObjectedAt, a history entry, audited as member.objection_changed). Numbers of no
 * member, members who objected already and erased members change nothing.
 */
@Injectable()
export class InboundSmsService {
  private readonly logger = new Logger(InboundSmsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly members: MembersService,
  ) {}

  /** Returns how many members' objections were recorded. */
  async receive(messages: InboundSms[]): Promise<number> {
    const numbers = [
      ...new Set(
        messages
          .filter((m) => isStopReply(m.body))
          .map((m) => senderNumber(m.from))
          .filter((n): n is string => n !== null),
      ),
    ];
    if (numbers.length === 0) return 0;
    const changed = await this.dataSource.transaction(async (manager) => {
      const found = await manager
        .createQueryBuilder(Member, 'm')
        .setLock('pessimistic_write')
        .where('m.cell_number = ANY(:numbers)', { numbers })
        .andWhere('m.contact_objected_at IS NULL')
        .andWhere('m.anonymised_at IS NULL')
        .orderBy('m.id')
        .getMany();
      const fresh: Member[] = [];
      for (const member of found) {
        fresh.push(
          await this.members.setPrivacyTimestamp(manager, member, 'contactObjectedAt', new Date(), {
            action: 'member.objection_changed',
            reason: 'Replied STOP to an SMS',
            actorId: null,
          }),
        );
      }
      return fresh;
    });
    for (const member of changed) this.members.publish(DomainEventType.MemberUpdated, member);
    if (changed.length > 0)
      this.logger.log(`STOP replies: ${changed.length} objection(s) recorded`);
    return changed.length;
  }
}
