import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

export enum TransferRequestStatus {
  Pending = 'pending',
  Approved = 'approved',
  Rejected = 'rejected',
  Cancelled = 'cancelled',
}

/**
 * A member's request to move to another ward (portal). The DESTINATION ward's chain sits in the usual area columns
 * (province_code … ward_code) so the scope helpers of libs/auth decide who may approve; the source ward's chain
 * is kept in from_* columns (its admins may read the request). At most one pending request per member
 * (UQ_member_transfer_requests_pending).
 */
@Entity('member_transfer_requests')
@Check(
  'CHK_member_transfer_requests_rejection',
  `"status" <> 'rejected' OR "decision_reason" IS NOT NULL`,
)
@Index('UQ_member_transfer_requests_pending', ['memberId'], {
  unique: true,
  where: `"status" = 'pending'`,
})
@Index('IDX_member_transfer_requests_member', ['memberId', 'createdAt'])
@Index('IDX_member_transfer_requests_province_code', ['provinceCode', 'status', 'createdAt', 'id'])
@Index('IDX_member_transfer_requests_ward_code', ['wardCode', 'status', 'createdAt', 'id'])
@Index('IDX_member_transfer_requests_from_province', [
  'fromProvinceCode',
  'status',
  'createdAt',
  'id',
])
@Index('IDX_member_transfer_requests_from_ward', ['fromWardCode', 'status', 'createdAt', 'id'])
export class MemberTransferRequest {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  memberId!: string;

  @Column({
    type: 'enum',
    enum: TransferRequestStatus,
    enumName: 'transfer_request_status',
    default: TransferRequestStatus.Pending,
  })
  status!: TransferRequestStatus;

  /** The member's words: why they move. */
  @Column({ type: 'varchar', length: 500 })
  reason!: string;

  /** The approver's note, or (required) why the request was rejected. */
  @Column({ type: 'varchar', length: 500, nullable: true })
  decisionReason!: string | null;

  @Column({ type: 'varchar', length: 8 })
  fromWardCode!: string;

  @Column({ type: 'varchar', length: 8 })
  fromMunicipalityCode!: string;

  @Column({ type: 'varchar', length: 8 })
  fromDistrictCode!: string;

  @Column({ type: 'varchar', length: 3 })
  fromProvinceCode!: string;

  /** Destination ward. */
  @Column({ type: 'varchar', length: 8 })
  wardCode!: string;

  @Column({ type: 'varchar', length: 8 })
  municipalityCode!: string;

  @Column({ type: 'varchar', length: 8 })
  districtCode!: string;

  @Column({ type: 'varchar', length: 3 })
  provinceCode!: string;

  /** The member user who asked. */
  @Column({ type: 'uuid' })
  requestedBy!: string;

  @Column({ type: 'uuid', nullable: true })
  decidedBy!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  decidedAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
