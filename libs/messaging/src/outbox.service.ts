import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AppException } from '@app/core';
import { AreaChain, Scope, scoped } from '@app/auth';
import { MessageChannel, OutboxMessage, OutboxStatus } from './outbox-message.entity.js';

export interface NewMessage {
  channel: MessageChannel;
  kind: string;
  recipient: string;
  subject?: string | null;
  body: string;
  recipientUserId?: string | null;
  recipientMemberId?: string | null;
  /** Where the message belongs (who may see its status); omitted = national. */
  area?: AreaChain | null;
  /** Deliver no earlier than this (scheduled reminders). */
  notBefore?: Date;
}

export interface DeliveryReport {
  providerMessageId: string;
  outcome: 'delivered' | 'failed';
  detail?: string;
}

@Injectable()
export class OutboxService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Writes the message with `manager`, i.e. inside the caller's transaction: it exists exactly when the
   * business change that caused it commits, and the dispatcher delivers it afterwards.
   */
  async enqueue(manager: EntityManager, message: NewMessage): Promise<string> {
    const area = message.area ?? null;
    const row = manager.create(OutboxMessage, {
      channel: message.channel,
      kind: message.kind,
      recipient: message.recipient,
      subject: message.subject ?? null,
      body: message.body,
      status: OutboxStatus.Queued,
      attempts: 0,
      nextAttemptAt: message.notBefore ?? new Date(),
      recipientUserId: message.recipientUserId ?? null,
      recipientMemberId: message.recipientMemberId ?? null,
      provinceCode: area?.provinceCode ?? null,
      districtCode: area?.districtCode ?? null,
      municipalityCode: area?.municipalityCode ?? null,
      wardCode: area?.wardCode ?? null,
    });
    const saved = await manager.save(OutboxMessage, row);
    return saved.id;
  }

  /** One message inside `scope`; outside it (or unknown) answers 404 alike. */
  async findVisible(scope: Scope, id: string): Promise<OutboxMessage> {
    const found = await scoped(
      this.dataSource.getRepository(OutboxMessage).createQueryBuilder('o'),
      scope,
      'o',
    )
      .andWhere('o.id = :id', { id })
      .getOne();
    if (!found) throw AppException.notFound('Message');
    return found;
  }

  /**
   * Applies provider delivery reports to sent messages of `channel`. Reports naming no message we sent, or a
   * message already delivered or failed, change nothing. Returns how many messages changed.
   */
  async applyDeliveryReports(channel: MessageChannel, reports: DeliveryReport[]): Promise<number> {
    let changed = 0;
    for (const report of reports) {
      const result = await this.dataSource.query<[unknown[], number]>(
        `UPDATE messaging_outbox
            SET status = $3,
                delivered_at = CASE WHEN $3 = 'delivered' THEN now() ELSE delivered_at END,
                failed_at = CASE WHEN $3 = 'failed' THEN now() ELSE failed_at END,
                last_error = CASE WHEN $3 = 'failed' THEN $4 ELSE last_error END,
                updated_at = now()
          WHERE channel = $1 AND provider_message_id = $2 AND status = 'sent'`,
        [channel, report.providerMessageId, report.outcome, report.detail ?? 'reported failed'],
      );
      changed += result[1];
    }
    return changed;
  }

  /**
   * Erasure (privacy): blanks the recipient, subject and body of every message to the member, in the caller's
   * transaction. Rows stay as metadata (kind, channel, status, dates) and keep their idempotency key, so a
   * campaign or reminder is still never queued twice. A message not yet delivered is failed (never sent after
   * the erasure). Returns how many messages were blanked.
   */
  async eraseMemberMessages(manager: EntityManager, memberId: string): Promise<number> {
    const rows = await manager.query<{ n: number }[]>(
      `WITH erased AS (
         UPDATE messaging_outbox
            SET recipient = 'erased', subject = NULL, body = '', body_purged_at = now(),
                status = CASE WHEN status IN ('queued', 'sending') THEN 'failed' ELSE status END,
                failed_at = CASE WHEN status IN ('queued', 'sending') THEN now() ELSE failed_at END,
                last_error = CASE WHEN status IN ('queued', 'sending') THEN 'member erased' ELSE last_error END,
                lease_until = NULL, updated_at = now()
          WHERE recipient_member_id = $1
         RETURNING 1)
       SELECT count(*)::int AS n FROM erased`,
      [memberId],
    );
    return rows[0]?.n ?? 0;
  }
}
