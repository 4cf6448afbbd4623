import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One move of a member from one ward to another; never deleted. */
// (from_ward_code, transferred_at): the members of a ward on a past date (migration Branches1795830000000).
@Index('IDX_member_transfers_from_ward', { synchronize: false })
@Entity('member_transfers')
@Index(['memberId', 'transferredAt'])
export class MemberTransfer {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  memberId!: string;

  @Column({ type: 'varchar', length: 8 })
  fromWardCode!: string;

  @Column({ type: 'varchar', length: 3 })
  fromProvinceCode!: string;

  @Column({ type: 'varchar', length: 8 })
  toWardCode!: string;

  @Column({ type: 'varchar', length: 3 })
  toProvinceCode!: string;

  @Column({ type: 'varchar', length: 500, nullable: true })
  reason!: string | null;

  @Column({ type: 'uuid', nullable: true })
  transferredBy!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  transferredAt!: Date;
}
