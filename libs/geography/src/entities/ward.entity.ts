import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { District } from './district.entity.js';
import { Municipality } from './municipality.entity.js';
import { Province } from './province.entity.js';

/** A ward; the party's branch is the unit of one ward. Parent codes are denormalised for scope filters. */
@Entity('wards')
@Index(['municipalityCode', 'number'], { unique: true })
export class Ward {
  @PrimaryColumn({ type: 'varchar', length: 8 })
  code!: string;

  @Column({ type: 'integer' })
  number!: number;

  @Column({ type: 'varchar', length: 20 })
  label!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ type: 'varchar', length: 8 })
  municipalityCode!: string;

  @Index()
  @Column({ type: 'varchar', length: 8 })
  districtCode!: string;

  @Index()
  @Column({ type: 'varchar', length: 3 })
  provinceCode!: string;

  @ManyToOne(() => Municipality, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'municipality_code' })
  municipality?: Municipality;

  @ManyToOne(() => District, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'district_code' })
  district?: District;

  @ManyToOne(() => Province, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'province_code' })
  province?: Province;
}
