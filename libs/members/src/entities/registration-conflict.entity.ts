import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export enum RegistrationConflictStatus {
  Open = 'open',
  Resolved = 'resolved',
}

/** Where the refused registration came from. */
export enum RegistrationConflictSource {
  MemberCreate = 'member_create',
  Application = 'application',
  Import = 'import',
}

export enum RegistrationConflictOutcome {
  /** The member was transferred to the requested ward. */
  Transferred = 'transferred',
  /** Nothing to do (e.g. a typing error, or the member stays where they are). */
  Dismissed = 'dismissed',
}

/**
 * An ID number someone tried to register in their area while it is a member elsewhere (or otherwise not theirs
 * to register). The requester only ever got the generic CANNOT_REGISTER_HERE answer; national admins list and
 * resolve these (usually by a transfer). Holds no ID number: the member is referenced by id.
 */
@Entity('registration_conflicts')
@Index(['requestedBy', 'createdAt'])
@Index(['status', 'createdAt'])
export class RegistrationConflict {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({
    type: 'enum',
    enum: RegistrationConflictStatus,
    enumName: 'registration_conflict_status',
    default: RegistrationConflictStatus.Open,
  })
  status!: RegistrationConflictStatus;

  @Column({
    type: 'enum',
    enum: RegistrationConflictSource,
    enumName: 'registration_conflict_source',
  })
  source!: RegistrationConflictSource;

  /** The existing member the ID number belongs to; null if it was not a member (e.g. removed meanwhile). */
  @Column({ type: 'uuid', nullable: true })
  memberId!: string | null;

  /** The ward the requester tried to register the person in, and its chain. */
  @Column({ type: 'varchar', length: 8 })
  wardCode!: string;

  @Column({ type: 'varchar', length: 8 })
  municipalityCode!: string;

  @Column({ type: 'varchar', length: 8 })
  districtCode!: string;

  @Column({ type: 'varchar', length: 3 })
  provinceCode!: string;

  @Column({ type: 'uuid', nullable: true })
  applicationId!: string | null;

  @Column({ type: 'uuid', nullable: true })
  importId!: string | null;

  @Column({ type: 'int', nullable: true })
  rowNumber!: number | null;

  /** The user whose registration was refused (counted against REGISTRATION_CONFLICT_LIMIT). */
  @Column({ type: 'uuid', nullable: true })
  requestedBy!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({
    type: 'enum',
    enum: RegistrationConflictOutcome,
    enumName: 'registration_conflict_outcome',
    nullable: true,
  })
  outcome!: RegistrationConflictOutcome | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  note!: string | null;

  @Column({ type: 'uuid', nullable: true })
  resolvedBy!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  resolvedAt!: Date | null;
}
