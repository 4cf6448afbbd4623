import { Check, Index, Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** An evaluation of a ward's five criteria, or an approval of its compliance; never changed or deleted. */
@Index('IDX_ward_audit_records_ward', { synchronize: false })
@Check('CHK_ward_audit_records_kind', `"kind" IN ('evaluation', 'approval')`)
@Entity('ward_audit_records')
export class WardAuditRecord {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: 'evaluation' | 'approval';

  @Column({ type: 'varchar', length: 8 })
  wardCode!: string;

  @Column({ type: 'varchar', length: 8 })
  municipalityCode!: string;

  @Column({ type: 'varchar', length: 8 })
  districtCode!: string;

  @Column({ type: 'varchar', length: 3 })
  provinceCode!: string;

  @Column({ type: 'boolean' })
  compliant!: boolean;

  @Column({ type: 'jsonb' })
  criteria!: unknown;

  @Column({ type: 'boolean', default: false })
  exception!: boolean;

  @Column({ type: 'varchar', length: 1000, nullable: true })
  reason!: string | null;

  @Column({ type: 'uuid', nullable: true })
  actorUserId!: string | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  actorLevel!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
