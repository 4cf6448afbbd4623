import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A member asked to renew from the portal while card payments are not configured. Not a payment: nothing was
 * paid, so nothing here can be verified into a renewal (payments' four-eyes rule stays about money received).
 * Staff take the payment by cash/EFT and record it in libs/payments as usual. Carries the member's area at the
 * time so the scope helpers apply.
 */
@Entity('renewal_intents')
@Index('IDX_renewal_intents_member', ['memberId', 'createdAt'])
@Index('IDX_renewal_intents_ward_code', ['wardCode', 'createdAt'])
@Index('IDX_renewal_intents_province_code', ['provinceCode', 'createdAt'])
export class RenewalIntent {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  memberId!: string;

  @Column({ type: 'integer' })
  amountCents!: number;

  /** The member user who asked. */
  @Column({ type: 'uuid' })
  requestedBy!: string;

  @Column({ type: 'varchar', length: 8 })
  wardCode!: string;

  @Column({ type: 'varchar', length: 8 })
  municipalityCode!: string;

  @Column({ type: 'varchar', length: 8 })
  districtCode!: string;

  @Column({ type: 'varchar', length: 3 })
  provinceCode!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
