import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  VersionColumn,
} from 'typeorm';
import { Citizenship, Gender } from '../identity.js';

export enum MemberStatus {
  Pending = 'pending',
  Active = 'active',
  GracePeriod = 'grace_period',
  Expired = 'expired',
  Suspended = 'suspended',
  Cancelled = 'cancelled',
  Deceased = 'deceased',
}

/**
 * A party member. The ward's parents are denormalised (kept right by the service on create and transfer) so
 * every scoped query filters on one indexed column. Date of birth, gender and citizenship come from the ID number.
 */
@Entity('members')
// Keyset pagination: each scope level x each sort (surname, joined_on) has an index ending in id.
@Index(['surname', 'id'])
@Index(['provinceCode', 'surname', 'id'])
@Index(['districtCode', 'surname', 'id'])
@Index(['municipalityCode', 'surname', 'id'])
@Index(['wardCode', 'surname', 'id'])
@Index(['joinedOn', 'id'])
@Index(['provinceCode', 'joinedOn', 'id'])
@Index(['districtCode', 'joinedOn', 'id'])
@Index(['municipalityCode', 'joinedOn', 'id'])
@Index(['wardCode', 'joinedOn', 'id'])
@Index(['expiresOn'])
@Index(['cellNumber'])
// Hand-written in the migration (TypeORM cannot express them), so not synchronised:
// GIN (btree_gin) over the scope columns and the trigrams of lower(first_names || ' ' || surname) for q, and a
// partial index on expires_on for the status recalculation (status IN ('active', 'grace_period')).
@Index('members_scope_name_trgm', { synchronize: false })
@Index('members_recalculation', { synchronize: false })
// (ward_code, status): the ward audit's Active count (migration Branches1795830000000).
@Index('IDX_members_ward_status', { synchronize: false })
// (ward_code) INCLUDE (id, joined_on, expires_on, status): a ward's members on a date (WardComplianceIndex1795960000000).
@Index('IDX_members_ward_standing', { synchronize: false })
export class Member {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index({ unique: true })
  @Column({ type: 'varchar', length: 20 })
  membershipNumber!: string;

  @Index({ unique: true })
  @Column({ type: 'char', length: 13 })
  idNumber!: string;

  @Column({ type: 'varchar', length: 100 })
  firstNames!: string;

  @Column({ type: 'varchar', length: 100 })
  surname!: string;

  @Column({ type: 'date' })
  dateOfBirth!: string;

  @Column({ type: 'enum', enum: Gender, enumName: 'gender' })
  gender!: Gender;

  @Column({ type: 'enum', enum: Citizenship, enumName: 'citizenship' })
  citizenship!: Citizenship;

  /** E.164, e.g. +27821234567 */
  @Column({ type: 'varchar', length: 16, nullable: true })
  cellNumber!: string | null;

  @Column({ type: 'varchar', length: 254, nullable: true })
  email!: string | null;

  @Column({ type: 'varchar', length: 300, nullable: true })
  residentialAddress!: string | null;

  @Column({ type: 'varchar', length: 8 })
  wardCode!: string;

  @Column({ type: 'varchar', length: 8 })
  municipalityCode!: string;

  @Column({ type: 'varchar', length: 8 })
  districtCode!: string;

  @Column({ type: 'varchar', length: 3 })
  provinceCode!: string;

  @Column({ type: 'enum', enum: MemberStatus, enumName: 'member_status' })
  status!: MemberStatus;

  @Column({ type: 'date' })
  joinedOn!: string;

  @Column({ type: 'date', nullable: true })
  lastPaidOn!: string | null;

  @Column({ type: 'date', nullable: true })
  expiresOn!: string | null;

  /** When the member consented to the party processing their personal information (POPIA). */
  @Column({ type: 'timestamptz', nullable: true })
  consentGivenAt!: Date | null;

  /** Set when the member objects to being contacted: exports and contact lists leave their contact details out. */
  @Column({ type: 'timestamptz', nullable: true })
  contactObjectedAt!: Date | null;

  /** Set when personal data was erased (anonymised) after the retention period. */
  @Column({ type: 'timestamptz', nullable: true })
  anonymisedAt!: Date | null;

  @Column({ type: 'uuid', nullable: true })
  createdBy!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;

  @VersionColumn()
  version!: number;
}
