import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '@app/core';
import type { AppConfig } from '@app/core';
import {
  EmailSender,
  maskRecipient,
  OutgoingMessage,
  PermanentDeliveryError,
  SmsSender,
} from './channels/channel-ports.js';
import { MessageChannel } from './outbox-message.entity.js';
import { pacedBatchMs } from './pacing.js';
import {
  OPT_OUT_KINDS,
  UNSUBSCRIBE_URL_PLACEHOLDER,
  UnsubscribeTokens,
} from './unsubscribe/unsubscribe-token.js';

interface ClaimedRow {
  id: string;
  channel: MessageChannel;
  recipient: string;
  subject: string | null;
  body: string;
  attempts: number;
  kind: string;
  recipient_member_id: string | null;
}

interface SentReceipt {
  id: string;
  providerMessageId: string;
}

const BATCH = 50;
const MAX_BACKOFF_SECONDS = 3600;

/**
 * Delivers due outbox messages. Each tick claims a batch with `FOR UPDATE SKIP LOCKED` and leases it for
 * MESSAGING_LEASE_SECONDS, so any number of processes (with or without Redis) share the work and no message is
 * claimed by two at once; a message whose process died mid-delivery is claimed again once its lease runs out
 * (at-least-once delivery, the outbox id as idempotency key towards the provider).
 */
@Injectable()
export class OutboxDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxDispatcher.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly email: EmailSender,
    private readonly sms: SmsSender,
    private readonly unsubscribe: UnsubscribeTokens,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.MESSAGING_DISPATCH === 'off') return;
    const interval = this.config.MESSAGING_DISPATCH_INTERVAL_MS;
    if (interval === 0) return;
    this.start(interval);
  }

  /** Looks for due messages every `intervalMs` (the API's own loop, or the `cli.js dispatch` worker). */
  start(intervalMs: number): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running || this.stopped) return;
      this.running = this.dispatchDue()
        .then(() => undefined)
        .catch((error: unknown) => this.logger.error(`Outbox dispatch failed: ${String(error)}`))
        .finally(() => (this.running = null));
    }, intervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await this.email.close();
  }

  /** Claims and delivers due messages until none is left; returns how many were attempted. */
  async dispatchDue(): Promise<number> {
    let attempted = 0;
    const perSecond = {
      [MessageChannel.Sms]: this.config.MESSAGING_SMS_PER_SECOND,
      [MessageChannel.Email]: this.config.MESSAGING_EMAIL_PER_SECOND,
    };
    while (!this.stopped) {
      const started = Date.now();
      const claimed = await this.claim(this.batchSize(perSecond));
      if (claimed.length === 0) break;
      const sent = (await Promise.all(claimed.map((row) => this.deliver(row)))).filter(
        (r): r is SentReceipt => r !== null,
      );
      await this.markSent(sent);
      attempted += claimed.length;
      const counts = { [MessageChannel.Sms]: 0, [MessageChannel.Email]: 0 };
      for (const row of claimed) counts[row.channel] += 1;
      // At the channels' rates; and between batches, whatever else this process serves (requests, sockets) runs.
      const wait = started + pacedBatchMs(counts, perSecond) - Date.now();
      await new Promise<void>((resolve) =>
        wait > 0 ? setTimeout(resolve, wait) : setImmediate(resolve),
      );
    }
    return attempted;
  }

  /** A batch a paced channel delivers in at most about a second (so a lease never runs out while it waits). */
  private batchSize(perSecond: Record<MessageChannel, number>): number {
    const rates = Object.values(perSecond).filter((rate) => rate > 0);
    return Math.max(1, Math.min(BATCH, ...rates));
  }

  private async claim(limit: number): Promise<ClaimedRow[]> {
    // TypeORM answers an UPDATE … RETURNING with [rows, affected count].
    const [rows] = await this.dataSource.query<[ClaimedRow[], number]>(
      `UPDATE messaging_outbox o
          SET status = 'sending', attempts = o.attempts + 1,
              lease_until = now() + make_interval(secs => $2), updated_at = now()
        WHERE o.id IN (
          SELECT id FROM messaging_outbox
           WHERE (status = 'queued' AND next_attempt_at <= now())
              OR (status = 'sending' AND lease_until < now())
           ORDER BY next_attempt_at
           LIMIT $1
           FOR UPDATE SKIP LOCKED)
        RETURNING o.id, o.channel, o.recipient, o.subject, o.body, o.attempts, o.kind,
                  o.recipient_member_id`,
      [limit, this.config.MESSAGING_LEASE_SECONDS],
    );
    return rows;
  }

  /**
   * Records the batch's accepted messages as sent in one statement (one round trip and one pool connection per
   * batch, not per message, so a large campaign leaves the pool to requests). A process dying before this runs
   * leaves them `sending`: claimed again after the lease and resent (at-least-once, the outbox id as the
   * provider-side idempotency key).
   */
  private async markSent(sent: SentReceipt[]): Promise<void> {
    if (sent.length === 0) return;
    await this.dataSource.query(
      `UPDATE messaging_outbox o
          SET status = 'sent', sent_at = now(), provider_message_id = v.provider_message_id,
              lease_until = NULL, last_error = NULL, updated_at = now()
         FROM unnest($1::uuid[], $2::text[]) AS v(id, provider_message_id)
        WHERE o.id = v.id AND o.status = 'sending'`,
      [sent.map((r) => r.id), sent.map((r) => r.providerMessageId)],
    );
  }

  /** Delivers one message: its receipt when the provider took it, null when it failed (recorded here). */
  private async deliver(row: ClaimedRow): Promise<SentReceipt | null> {
    const message: OutgoingMessage = {
      id: row.id,
      recipient: row.recipient,
      subject: row.subject,
      body: row.body,
    };
    if (
      row.channel === MessageChannel.Email &&
      row.recipient_member_id &&
      OPT_OUT_KINDS.includes(row.kind)
    ) {
      // RFC 8058 one-click: the mail program POSTs List-Unsubscribe=One-Click to the signed https URL.
      const url = this.unsubscribe.url(row.id);
      message.body = message.body.split(UNSUBSCRIBE_URL_PLACEHOLDER).join(url);
      message.headers = {
        'List-Unsubscribe': `<${url}>`,
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      };
    }
    try {
      const sender = row.channel === MessageChannel.Email ? this.email : this.sms;
      const receipt = await sender.send(message);
      return { id: row.id, providerMessageId: receipt.providerMessageId };
    } catch (error: unknown) {
      const reason = (error instanceof Error ? error.message : String(error)).slice(0, 500);
      const final =
        error instanceof PermanentDeliveryError ||
        row.attempts >= this.config.MESSAGING_MAX_ATTEMPTS;
      const backoff = Math.min(
        this.config.MESSAGING_RETRY_BASE_SECONDS * 2 ** (row.attempts - 1),
        MAX_BACKOFF_SECONDS,
      );
      this.logger.warn(
        `${row.channel} ${row.id} to ${maskRecipient(row.recipient)}: attempt ${row.attempts} failed` +
          `${final ? ' for good' : `, retry in ${backoff} s`}: ${reason}`,
      );
      await this.dataSource.query(
        `UPDATE messaging_outbox
            SET status = CASE WHEN $3 THEN 'failed' ELSE 'queued' END,
                failed_at = CASE WHEN $3 THEN now() ELSE NULL END,
                next_attempt_at = now() + make_interval(secs => $4),
                last_error = $2, lease_until = NULL, updated_at = now()
          WHERE id = $1 AND status = 'sending'`,
        [row.id, reason, final, backoff],
      );
      return null;
    }
  }
}
