import { Injectable } from '@nestjs/common';
import { normaliseCellNumber } from '@app/members';
import { ContactObjectionService } from './unsubscribe/contact-objection.service.js';

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
  constructor(private readonly objections: ContactObjectionService) {}

  /** Returns how many members' objections were recorded. */
  receive(messages: InboundSms[]): Promise<number> {
    const numbers = [
      ...new Set(
        messages
          .filter((m) => isStopReply(m.body))
          .map((m) => senderNumber(m.from))
          .filter((n): n is string => n !== null),
      ),
    ];
    return this.objections.record({ cellNumbers: numbers }, 'Replied STOP to an SMS');
  }
}
