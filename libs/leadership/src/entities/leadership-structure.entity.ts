import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { StructureKind } from '../leadership.enums.js';

/**
 * A command team: one per area and level (BCT per ward, SRCT per municipality, RCT per district/metro, PCT per
 * province) plus the national CCT and War Council. Created by the leadership seed, never by hand. The area's
 * chain is denormalised (null above the structure's own level, all null for national ones) so scopeWhere
 * applies.
 */
@Entity('leadership_structures')
@Index(['kind', 'areaCode'], { unique: true })
@Index(['provinceCode', 'districtCode', 'municipalityCode', 'wardCode'])
export class LeadershipStructure {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'enum', enum: StructureKind, enumName: 'leadership_structure_kind' })
  kind!: StructureKind;

  /** The code of the area the structure covers: ward, municipality, district or province code; ZA nationally. */
  @Column({ type: 'varchar', length: 8 })
  areaCode!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 3, nullable: true })
  provinceCode!: string | null;

  @Column({ type: 'varchar', length: 8, nullable: true })
  districtCode!: string | null;

  @Column({ type: 'varchar', length: 8, nullable: true })
  municipalityCode!: string | null;

  @Column({ type: 'varchar', length: 8, nullable: true })
  wardCode!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
