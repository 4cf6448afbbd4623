import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppException } from '@app/core';
import { ContactObjectionService } from './contact-objection.service.js';
import { OPT_OUT_KINDS, UnsubscribeTokens } from './unsubscribe-token.js';

/** One-click unsubscribe (RFC 8058) from a campaign or reminder email: records the recipient's objection. */
@Injectable()
export class UnsubscribeService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly tokens: UnsubscribeTokens,
    private readonly objections: ContactObjectionService,
  ) {}

  /** The member the token's message went to; a forged or altered token 400, a message of no member 404. */
  async memberOf(token: unknown): Promise<string> {
    const outboxId = typeof token === 'string' ? this.tokens.verify(token) : null;
    if (!outboxId)
      throw AppException.badRequest('The unsubscribe link is not valid', 'token', 'invalid_token');
    const [row] = await this.dataSource.query<{ member_id: string }[]>(
      `SELECT recipient_member_id AS member_id FROM messaging_outbox
        WHERE id = $1 AND channel = 'email' AND kind = ANY($2::text[]) AND recipient_member_id IS NOT NULL`,
      [outboxId, [...OPT_OUT_KINDS]],
    );
    if (!row) throw AppException.notFound('The message of this unsubscribe link');
    return row.member_id;
  }

  /** Records the objection (idempotent: a member who objected already, or was erased, changes nothing). */
  async unsubscribe(token: unknown): Promise<void> {
    const memberId = await this.memberOf(token);
    await this.objections.record({ memberIds: [memberId] }, 'Unsubscribed by the link in an email');
  }
}
