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

export enum ApplicationStatus {
  Draft = 'draft',
  Submitted = 'submitted',
  UnderReview = 'under_review',
  /** The joining fee is verified and a finance officer reviewed it: waiting for the final approval. */
  FinancialReview = 'financial_review',
  Approved = 'approved',
  Rejected = 'rejected',
}

/** A request to join, submitted by the public; approval creates the member in the same transaction. */
@Entity('membership_applications')
@Index(['idNumber'])
@Index(['createdAt', 'id'])
@Index(['provinceCode', 'createdAt', 'id'])
@Index(['districtCode', 'createdAt', 'id'])
@Index(['municipalityCode', 'createdAt', 'id'])
@Index(['wardCode', 'createdAt', 'id'])
export class MembershipApplication {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'enum', enum: ApplicationStatus, enumName: 'application_status' })
  status!: ApplicationStatus;

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

  @Column({ type: 'timestamptz' })
  consentGivenAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  submittedAt!: Date | null;

  @Column({ type: 'uuid', nullable: true })
  reviewedBy!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  reviewedAt!: Date | null;

  /** Who gave the financial review (two-tier approval): never the final approver. */
  @Column({ type: 'uuid', nullable: true })
  financialReviewedBy!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  financialReviewedAt!: Date | null;

  /** The verified joining-fee payment the financial review confirmed. */
  @Column({ type: 'uuid', nullable: true })
  financialReviewPaymentId!: string | null;

  @Column({ type: 'uuid', nullable: true })
  decidedBy!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  decidedAt!: Date | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  rejectionReason!: string | null;

  /** The member approval created; unique, so one application yields at most one member. */
  @Index({ unique: true })
  @Column({ type: 'uuid', nullable: true })
  memberId!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;

  @VersionColumn()
  version!: number;
}
