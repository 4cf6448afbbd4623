import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Province } from './province.entity.js';

export enum DistrictType {
  District = 'district',
  Metropolitan = 'metropolitan',
}

/** A district or metro: the party's "region". */
@Entity('districts')
export class District {
  @PrimaryColumn({ type: 'varchar', length: 8 })
  code!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ type: 'enum', enum: DistrictType, enumName: 'district_type' })
  type!: DistrictType;

  @Index()
  @Column({ type: 'varchar', length: 3 })
  provinceCode!: string;

  @ManyToOne(() => Province, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'province_code' })
  province?: Province;
}
