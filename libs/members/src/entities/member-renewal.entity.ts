import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A membership payment; the reference is unique so a payment is never recorded twice. */
@Entity('member_renewals')
@Index(['memberId', 'paidOn'])
export class MemberRenewal {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  memberId!: string;

  @Column({ type: 'date' })
  paidOn!: string;

  /** In cents (R10 = 1000). */
  @Column({ type: 'integer' })
  amountCents!: number;

  @Index({ unique: true })
  @Column({ type: 'varchar', length: 64 })
  reference!: string;

  @Column({ type: 'date', nullable: true })
  previousExpiresOn!: string | null;

  @Column({ type: 'date' })
  expiresOn!: string;

  @Column({ type: 'uuid', nullable: true })
  recordedBy!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
