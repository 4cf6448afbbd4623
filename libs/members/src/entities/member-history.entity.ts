import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { MemberStatus } from './member.entity.js';

export enum MemberHistoryKind {
  Created = 'created',
  Updated = 'updated',
  StatusChanged = 'status_changed',
  Renewed = 'renewed',
  Transferred = 'transferred',
  /** A payment recorded, verified or rejected (libs/payments; details.event says which). */
  Payment = 'payment',
}

/**
 * What happened to a member, newest last: creation, edits (masked diff), status changes (by an admin or the
 * daily recalculation, actor null), renewals and transfers. Append-only; paginated by its increasing id.
 */
@Entity('member_history')
@Index(['memberId', 'id'])
export class MemberHistory {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id!: string;

  @Column({ type: 'uuid' })
  memberId!: string;

  @Column({ type: 'enum', enum: MemberHistoryKind, enumName: 'member_history_kind' })
  kind!: MemberHistoryKind;

  @Column({ type: 'enum', enum: MemberStatus, enumName: 'member_status', nullable: true })
  fromStatus!: MemberStatus | null;

  @Column({ type: 'enum', enum: MemberStatus, enumName: 'member_status', nullable: true })
  toStatus!: MemberStatus | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  reason!: string | null;

  /** Masked field changes, renewal or transfer details; never ID numbers, cells or addresses in clear. */
  @Column({ type: 'jsonb', nullable: true })
  details!: Record<string, unknown> | null;

  /** The user who did it; null for the scheduled recalculation. */
  @Column({ type: 'uuid', nullable: true })
  actorUserId!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
