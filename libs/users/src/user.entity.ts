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
import { Role, ScopeLevel } from '@app/auth';

/**
 * A person who signs in. Email is stored lower-cased (unique ignoring case). The scope's area chain is
 * denormalised (province…ward codes of the scope area itself) so user lists can be scoped like members.
 */
@Entity('users')
@Index(['provinceCode', 'districtCode', 'municipalityCode', 'wardCode'])
@Check('CHK_users_email_lower_case', '"email" = lower("email")')
export class User {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index({ unique: true })
  @Column({ type: 'varchar', length: 254 })
  email!: string;

  @Column({ type: 'varchar', length: 200 })
  passwordHash!: string;

  @Column({ type: 'varchar', length: 120 })
  name!: string;

  @Column({ type: 'enum', enum: Role, enumName: 'user_role' })
  role!: Role;

  @Column({ type: 'enum', enum: ScopeLevel, enumName: 'scope_level' })
  scopeLevel!: ScopeLevel;

  @Column({ type: 'varchar', length: 8, nullable: true })
  scopeCode!: string | null;

  @Column({ type: 'varchar', length: 3, nullable: true })
  provinceCode!: string | null;

  @Column({ type: 'varchar', length: 8, nullable: true })
  districtCode!: string | null;

  @Column({ type: 'varchar', length: 8, nullable: true })
  municipalityCode!: string | null;

  @Column({ type: 'varchar', length: 8, nullable: true })
  wardCode!: string | null;

  @Column({ type: 'uuid', nullable: true })
  memberId!: string | null;

  @Column({ type: 'boolean', default: true })
  active!: boolean;

  @Column({ type: 'integer', default: 0 })
  failedLoginCount!: number;

  @Column({ type: 'timestamptz', nullable: true })
  lockedUntil!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  lastLoginAt!: Date | null;

  /** The first successful sign-in: starts the MFA_ENROLMENT_GRACE_DAYS of an admin role. */
  @Column({ type: 'timestamptz', nullable: true })
  firstLoginAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  passwordChangedAt!: Date | null;

  /** Set by an administrator's password reset: the next sign-in may only change the password. */
  @Column({ type: 'boolean', default: false })
  passwordChangeRequired!: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;

  @VersionColumn()
  version!: number;
}

export const USERS_ENTITIES = [User];
