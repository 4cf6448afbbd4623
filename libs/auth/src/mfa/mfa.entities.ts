import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  Unique,
  UpdateDateColumn,
} from 'typeorm';

/**
 * A user's TOTP authenticator. The secret is stored only encrypted (AES-256-GCM, see MfaCrypto). enabledAt is
 * null while an enrolment awaits its first code. lastUsedStep is the last accepted time step: a code of that
 * step or an earlier one is refused (no replay). No foreign key: auth owns no users table (as the reset tokens).
 */
@Entity({ name: 'user_mfa' })
export class UserMfa {
  @PrimaryColumn({ type: 'uuid' })
  userId!: string;

  @Column({ type: 'text' })
  secretCiphertext!: string;

  @Column({ type: 'timestamptz', nullable: true })
  enabledAt!: Date | null;

  /** bigint: read back as a string by the driver. */
  @Column({ type: 'bigint', nullable: true })
  lastUsedStep!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}

/** One single-use recovery code: only its HMAC-SHA256 under the server key is stored. */
@Entity({ name: 'mfa_recovery_codes' })
@Unique('UQ_mfa_recovery_codes_hash', ['userId', 'codeHash'])
export class MfaRecoveryCode {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  userId!: string;

  @Column({ type: 'text' })
  codeHash!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  usedAt!: Date | null;
}

/** A sign-in waiting for its second factor: only the SHA-256 of the challenge token is stored. */
@Entity({ name: 'mfa_challenges' })
@Unique('UQ_mfa_challenges_hash', ['tokenHash'])
@Index('IDX_mfa_challenges_user', ['userId', 'createdAt'])
export class MfaChallenge {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  userId!: string;

  @Column({ type: 'text' })
  tokenHash!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  usedAt!: Date | null;
}

export const MFA_ENTITIES = [UserMfa, MfaRecoveryCode, MfaChallenge];
