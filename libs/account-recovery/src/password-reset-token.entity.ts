import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';

/** A password-reset token: only its SHA-256 is stored. */
@Entity({ name: 'password_reset_tokens' })
@Unique('UQ_password_reset_tokens_hash', ['tokenHash'])
@Index('IDX_password_reset_tokens_user', ['userId', 'createdAt'])
export class PasswordResetToken {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** A user's id; no foreign key, as this module owns no users (a token of a removed user finds no account). */
  @Column({ type: 'uuid' })
  userId!: string;

  @Column({ type: 'text' })
  tokenHash!: string;

  /** SHA-256 of the password hash when the token was issued: any password change since voids the token. */
  @Column({ type: 'text' })
  passwordFingerprint!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  usedAt!: Date | null;
}
