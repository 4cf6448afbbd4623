import {
  Check,
  Index,
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  VersionColumn,
} from 'typeorm';
import { MeetingStatus, MeetingType } from '../branches.enums.js';

/** Figures frozen when a meeting is verified (before that they are computed on every read). */
export interface VerifiedFigures {
  invited: number;
  inGoodStanding: number;
  quorum: number;
  attendees: number;
  attendeesInGoodStanding: number;
  quorumMet: boolean;
}

/**
 * A meeting of a ward (BGA, BPA) or of a command structure. The area columns are denormalised (a structure's
 * own, null above its level; all null for national structures) so the access helpers apply scope.
 */
@Index('IDX_branch_meetings_ward', { synchronize: false })
@Index('IDX_branch_meetings_structure', { synchronize: false })
@Index('IDX_branch_meetings_scope', { synchronize: false })
@Check(
  'CHK_branch_meetings_subject',
  `("type" = 'structure' AND "structure_id" IS NOT NULL) OR ("type" <> 'structure' AND "ward_code" IS NOT NULL)`,
)
@Entity('branch_meetings')
export class BranchMeeting {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'enum', enum: MeetingType, enumName: 'branch_meeting_type' })
  type!: MeetingType;

  @Column({ type: 'uuid', nullable: true })
  structureId!: string | null;

  @Column({ type: 'varchar', length: 20, nullable: true })
  structureKind!: string | null;

  @Column({ type: 'varchar', length: 3, nullable: true })
  provinceCode!: string | null;

  @Column({ type: 'varchar', length: 8, nullable: true })
  districtCode!: string | null;

  @Column({ type: 'varchar', length: 8, nullable: true })
  municipalityCode!: string | null;

  @Column({ type: 'varchar', length: 8, nullable: true })
  wardCode!: string | null;

  @Column({ type: 'date' })
  scheduledOn!: string;

  @Column({ type: 'varchar', length: 300 })
  place!: string;

  @Column({
    type: 'enum',
    enum: MeetingStatus,
    enumName: 'branch_meeting_status',
    default: MeetingStatus.Scheduled,
  })
  status!: MeetingStatus;

  @Column({ type: 'varchar', length: 500, nullable: true })
  statusReason!: string | null;

  @Column({ type: 'uuid', nullable: true })
  presidingMemberId!: string | null;

  @Column({ type: 'uuid', nullable: true })
  secretaryMemberId!: string | null;

  @Column({ type: 'text', nullable: true })
  agenda!: string | null;

  @Column({ type: 'text', nullable: true })
  minutes!: string | null;

  @Column({ type: 'text', nullable: true })
  decisions!: string | null;

  @Column({ type: 'varchar', length: 1000, nullable: true })
  outcome!: string | null;

  @Column({ type: 'uuid', nullable: true })
  createdBy!: string | null;

  @Column({ type: 'uuid', nullable: true })
  heldRecordedBy!: string | null;

  /** The scope level of the admin who recorded the meeting as held (four eyes: a higher level verifies). */
  @Column({ type: 'varchar', length: 16, nullable: true })
  heldRecordedLevel!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  heldRecordedAt!: Date | null;

  @Column({ type: 'uuid', nullable: true })
  verifiedBy!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  verifiedAt!: Date | null;

  @Column({ type: 'jsonb', nullable: true })
  verifiedFigures!: VerifiedFigures | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;

  @VersionColumn({ default: 1 })
  version!: number;
}
