import { Index, Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { AssemblyType } from '../branches.enums.js';

/** A ward's delegate to an assembly. A replacement ends one row (active false) and links both ways. */
@Index('UQ_branch_delegates_active_member', { synchronize: false })
@Index('IDX_branch_delegates_ward', { synchronize: false })
@Index('IDX_branch_delegates_area', { synchronize: false })
@Entity('branch_delegates')
export class BranchDelegate {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'enum', enum: AssemblyType, enumName: 'assembly_type' })
  assembly!: AssemblyType;

  @Column({ type: 'uuid' })
  memberId!: string;

  @Column({ type: 'varchar', length: 20 })
  membershipNumber!: string;

  @Column({ type: 'uuid' })
  meetingId!: string;

  @Column({ type: 'varchar', length: 8 })
  wardCode!: string;

  @Column({ type: 'varchar', length: 8 })
  municipalityCode!: string;

  @Column({ type: 'varchar', length: 8 })
  districtCode!: string;

  @Column({ type: 'varchar', length: 3 })
  provinceCode!: string;

  @Column({ type: 'boolean', default: true })
  active!: boolean;

  @Column({ type: 'uuid', nullable: true })
  replacesId!: string | null;

  @Column({ type: 'uuid', nullable: true })
  replacedById!: string | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  replacementReason!: string | null;

  @Column({ type: 'uuid', nullable: true })
  selectedBy!: string | null;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  selectedAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  endedAt!: Date | null;
}
