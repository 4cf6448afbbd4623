import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  VersionColumn,
} from 'typeorm';
import { MessageChannel } from '../outbox-message.entity.js';

/**
 * Wording of a campaign message with named variables ({{firstName}} …). It belongs to the area of the admin who
 * saved it (all null = national): admins see the templates of their area and of the areas below it.
 */
@Entity({ name: 'messaging_templates' })
@Check('CHK_messaging_templates_channel', `"channel" IN ('email', 'sms')`)
@Index('IDX_messaging_templates_area', [
  'provinceCode',
  'districtCode',
  'municipalityCode',
  'wardCode',
])
export class MessageTemplate {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ type: 'text' })
  channel!: MessageChannel;

  @Column({ type: 'varchar', length: 200, nullable: true })
  subject!: string | null;

  @Column({ type: 'text' })
  body!: string;

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

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;

  @VersionColumn()
  version!: number;
}
