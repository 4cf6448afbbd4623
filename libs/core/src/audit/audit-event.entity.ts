import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Append-only record of who did what to which record (POPIA: access and change logging). */
@Entity('audit_events')
@Index(['entityType', 'entityId', 'occurredAt'])
@Index(['actorUserId', 'occurredAt'])
export class AuditEvent {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  occurredAt!: Date;

  @Column({ type: 'uuid', nullable: true })
  actorUserId!: string | null;

  /** e.g. auth.login_succeeded, member.updated, member.viewed, member.exported */
  @Column({ type: 'varchar', length: 60 })
  action!: string;

  @Column({ type: 'varchar', length: 40 })
  entityType!: string;

  @Column({ type: 'varchar', length: 64, nullable: true })
  entityId!: string | null;

  /** Before/after diff or other details; never ID numbers, cell numbers or secrets. */
  @Column({ type: 'jsonb', nullable: true })
  changes!: Record<string, unknown> | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  requestId!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip!: string | null;

  /** Province of the record, when it has one, so audit reads can be scoped. */
  @Index()
  @Column({ type: 'varchar', length: 3, nullable: true })
  provinceCode!: string | null;
}
