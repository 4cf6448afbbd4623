import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A one-time code sent to a member who asked to claim an account: only its SHA-256 is stored. */
@Entity({ name: 'account_claims' })
@Index('IDX_account_claims_member', ['memberId', 'createdAt'])
export class AccountClaim {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** The member's id; no foreign key (this module owns no members). */
  @Column({ type: 'uuid' })
  memberId!: string;

  @Column({ type: 'text' })
  codeHash!: string;

  /** Wrong codes tried against this claim; past MAX_CODE_ATTEMPTS it is void. */
  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  usedAt!: Date | null;
}
