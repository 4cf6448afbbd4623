import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { MessageChannel } from '../outbox-message.entity.js';

export enum CampaignStatus {
  /** Created with its audience counted; nothing queued yet. */
  Draft = 'draft',
  /** Its messages are in the outbox. */
  Queued = 'queued',
}

/** The stored audience definition of a campaign (what was asked for, audited with the send). */
export interface AudienceDefinition {
  /** A meeting's invitees (area = the meeting's area; statuses empty, expiry null). */
  meetingId?: string | null;
  area: { level: string; code: string | null };
  statuses: string[];
  expiry: string | null;
}

/**
 * A message to many members: the template's wording frozen at creation (with the opt-out text), the audience
 * definition, and where it stands. It belongs to the audience's area (scope of who may see and send it).
 */
@Entity({ name: 'messaging_campaigns' })
@Check('CHK_messaging_campaigns_channel', `"channel" IN ('email', 'sms')`)
@Check('CHK_messaging_campaigns_status', `"status" IN ('draft', 'queued')`)
@Index('IDX_messaging_campaigns_area', [
  'provinceCode',
  'districtCode',
  'municipalityCode',
  'wardCode',
])
@Index('IDX_messaging_campaigns_sender', ['sentBy', 'sentAt'])
export class Campaign {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  templateId!: string;

  @Column({ type: 'text' })
  channel!: MessageChannel;

  @Column({ type: 'varchar', length: 200, nullable: true })
  subject!: string | null;

  /** The wording with campaign-wide variables filled in and the opt-out text added (SMS). */
  @Column({ type: 'text' })
  body!: string;

  @Column({ type: 'jsonb' })
  audience!: AudienceDefinition;

  /** Values of campaign-wide variables (meetingDate, meetingPlace). */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  variables!: Record<string, string>;

  @Column({ type: 'text', default: CampaignStatus.Draft })
  status!: CampaignStatus;

  /** Members the audience matched when the draft was made. */
  @Column({ type: 'int' })
  recipientCount!: number;

  /** Messages queued by the send. */
  @Column({ type: 'int', nullable: true })
  queuedCount!: number | null;

  @Column({ type: 'text', nullable: true })
  provinceCode!: string | null;

  @Column({ type: 'text', nullable: true })
  districtCode!: string | null;

  @Column({ type: 'text', nullable: true })
  municipalityCode!: string | null;

  @Column({ type: 'text', nullable: true })
  wardCode!: string | null;

  @Column({ type: 'uuid', nullable: true })
  createdBy!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'uuid', nullable: true })
  sentBy!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  sentAt!: Date | null;
}
