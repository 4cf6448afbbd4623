import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
} from 'typeorm';
import { StoredDocument } from '@app/files';
import { Payment } from '../entities/payment.entity.js';

/** The receipt of a payment (at most one): a stored document (libs/files document store). */
@Entity('payment_receipts')
@Index('UQ_payment_receipts_document', ['documentId'], { unique: true })
export class PaymentReceipt {
  @PrimaryColumn('uuid')
  paymentId!: string;

  @ManyToOne(() => Payment, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'payment_id' })
  payment?: Payment;

  @Column({ type: 'uuid' })
  documentId!: string;

  @ManyToOne(() => StoredDocument, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'document_id' })
  document?: StoredDocument;

  @Column({ type: 'uuid', nullable: true })
  attachedBy!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  attachedAt!: Date;
}

export const PAYMENT_RECEIPT_ENTITIES = [PaymentReceipt];
