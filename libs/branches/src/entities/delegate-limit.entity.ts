import { Check, Unique, Column, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { AssemblyType } from '../branches.enums.js';

/** Delegates per ward for an assembly, set for an area (the most specific area above a ward applies). */
@Unique('UQ_delegate_limits_area', ['areaLevel', 'areaCode', 'assembly'])
@Check('CHK_delegate_limits_max', `"max_per_ward" BETWEEN 0 AND 100`)
@Entity('delegate_limits')
export class DelegateLimit {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 16 })
  areaLevel!: string;

  @Column({ type: 'varchar', length: 8 })
  areaCode!: string;

  @Column({ type: 'enum', enum: AssemblyType, enumName: 'assembly_type' })
  assembly!: AssemblyType;

  @Column({ type: 'integer' })
  maxPerWard!: number;

  @Column({ type: 'uuid', nullable: true })
  updatedBy!: string | null;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
