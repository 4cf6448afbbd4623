import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  Unique,
  UpdateDateColumn,
} from 'typeorm';

export enum PaymentMethod {
  Cash = 'cash',
  Eft = 'eft',
  Card = 'card',
  External = 'external',
}

export enum PaymentStatus {
  Pending = 'pending',
  Verified = 'verified',
  Rejected = 'rejected',
}

/** Who decided a payment: a user (four eyes) or the card gateway's validated notification. */
export type PaymentDecidedVia = 'user' | 'payfast';

/**
 * A payment for a member (a renewal) or an application (the joining fee). Carries the area of its member or
 * application at recording time (province_code … ward_code) so the scope helpers of libs/auth apply.
 */
@Entity('payments')
@Check('CHK_payments_subject', '("member_id" IS NULL) <> ("application_id" IS NULL)')
@Check('CHK_payments_amount', '"amount_cents" > 0')
@Check('CHK_payments_rejection', `"status" <> 'rejected' OR "rejection_reason" IS NOT NULL`)
@Unique('UQ_payments_reference', ['method', 'provider', 'reference'])
@Unique('UQ_payments_provider_payment', ['provider', 'providerPaymentId'])
@Index('IDX_payments_member', ['memberId', 'createdAt'])
@Index('IDX_payments_application', ['applicationId'])
@Index('IDX_payments_province_code', ['provinceCode', 'status', 'createdAt', 'id'])
@Index('IDX_payments_district_code', ['districtCode', 'status', 'createdAt', 'id'])
@Index('IDX_payments_municipality_code', ['municipalityCode', 'status', 'createdAt', 'id'])
@Index('IDX_payments_ward_code', ['wardCode', 'status', 'createdAt', 'id'])
@Index('IDX_payments_status', ['status', 'createdAt', 'id'])
export class Payment {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid', nullable: true })
  memberId!: string | null;

  @Column({ type: 'uuid', nullable: true })
  applicationId!: string | null;

  @Column({ type: 'enum', enum: PaymentMethod, enumName: 'payment_method' })
  method!: PaymentMethod;

  /** `cash`, `eft`, `external` for manual payments (the method), the gateway (`payfast`) for card payments. */
  @Column({ type: 'varchar', length: 32 })
  provider!: string;

  /** Unique per method and provider (UQ_payments_reference). Card payments: our m_payment_id. */
  @Column({ type: 'varchar', length: 64 })
  reference!: string;

  /** The gateway's own transaction id (PayFast pf_payment_id), unique per provider. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  providerPaymentId!: string | null;

  @Column({ type: 'integer' })
  amountCents!: number;

  /** Null for a card checkout until the gateway confirms it. */
  @Column({ type: 'date', nullable: true })
  paidOn!: string | null;

  @Column({
    type: 'enum',
    enum: PaymentStatus,
    enumName: 'payment_status',
    default: PaymentStatus.Pending,
  })
  status!: PaymentStatus;

  @Column({ type: 'varchar', length: 500, nullable: true })
  rejectionReason!: string | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  note!: string | null;

  @Column({ type: 'uuid', nullable: true })
  recordedBy!: string | null;

  @Column({ type: 'uuid', nullable: true })
  decidedBy!: string | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  decidedVia!: PaymentDecidedVia | null;

  @Column({ type: 'timestamptz', nullable: true })
  decidedAt!: Date | null;

  /** The member_renewals row the verification wrote. */
  @Column({ type: 'uuid', nullable: true })
  renewalId!: string | null;

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

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}

export const PAYMENTS_ENTITIES = [Payment];
