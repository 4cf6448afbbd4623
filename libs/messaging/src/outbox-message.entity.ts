import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

export enum MessageChannel {
  Email = 'email',
  Sms = 'sms',
}

/** queued → sending (claimed by one process) → sent → delivered | failed; a failed attempt goes back to queued. */
export enum OutboxStatus {
  Queued = 'queued',
  Sending = 'sending',
  Sent = 'sent',
  Delivered = 'delivered',
  Failed = 'failed',
}

/** One message to deliver: the record of truth of what was sent to whom, and how it went. */
@Entity({ name: 'messaging_outbox' })
@Check('CHK_messaging_outbox_channel', `"channel" IN ('email', 'sms')`)
@Check(
  'CHK_messaging_outbox_status',
  `"status" IN ('queued', 'sending', 'sent', 'delivered', 'failed')`,
)
@Index('IDX_messaging_outbox_due', ['nextAttemptAt'], {
  where: `"status" IN ('queued', 'sending')`,
})
@Index('UQ_messaging_outbox_provider_id', ['channel', 'providerMessageId'], {
  unique: true,
  where: '"provider_message_id" IS NOT NULL',
})
@Index('UQ_messaging_outbox_idempotency_key', ['idempotencyKey'], { unique: true })
@Index('IDX_messaging_outbox_member', ['recipientMemberId'])
@Index('IDX_messaging_outbox_campaign', ['campaignId'])
@Index('IDX_messaging_outbox_area', [
  'provinceCode',
  'districtCode',
  'municipalityCode',
  'wardCode',
])
export class OutboxMessage {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  channel!: MessageChannel;

  /** What caused the message (password_reset, renewal_reminder, campaign, ...). */
  @Column({ type: 'text' })
  kind!: string;

  /** Email address or E.164 cell number. */
  @Column({ type: 'text' })
  recipient!: string;

  @Column({ type: 'text', nullable: true })
  subject!: string | null;

  @Column({ type: 'text' })
  body!: string;

  @Column({ type: 'text', default: OutboxStatus.Queued })
  status!: OutboxStatus;

  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  nextAttemptAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  leaseUntil!: Date | null;

  @Column({ type: 'text', nullable: true })
  providerMessageId!: string | null;

  @Column({ type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ type: 'uuid', nullable: true })
  recipientUserId!: string | null;

  @Column({ type: 'uuid', nullable: true })
  recipientMemberId!: string | null;

  /** The area the message belongs to; null = national (visible to national-scope admins only). */
  @Column({ type: 'text', nullable: true })
  provinceCode!: string | null;

  @Column({ type: 'text', nullable: true })
  districtCode!: string | null;

  @Column({ type: 'text', nullable: true })
  municipalityCode!: string | null;

  @Column({ type: 'text', nullable: true })
  wardCode!: string | null;

  /** The campaign that queued the message, if any. */
  @Column({ type: 'uuid', nullable: true })
  campaignId!: string | null;

  /**
   * Unique key of a message that must be queued at most once (`campaign:<id>:<member>`,
   * `reminder:<window>:<expiresOn>:<member>`); null for one-off messages.
   */
  @Column({ type: 'text', nullable: true })
  idempotencyKey!: string | null;

  /** When the retention rule (or an erasure) blanked the body; the row stays as metadata. */
  @Column({ type: 'timestamptz', nullable: true })
  bodyPurgedAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  sentAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  deliveredAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  failedAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
