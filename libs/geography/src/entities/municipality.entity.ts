import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { District } from './district.entity.js';
import { Province } from './province.entity.js';

export enum MunicipalityCategory {
  /** Metropolitan municipality */
  A = 'A',
  /** Local municipality */
  B = 'B',
}

/** A local or metropolitan municipality: the party's "sub-region". */
@Entity('municipalities')
export class Municipality {
  @PrimaryColumn({ type: 'varchar', length: 8 })
  code!: string;

  @Column({ type: 'varchar', length: 150 })
  name!: string;

  @Column({ type: 'enum', enum: MunicipalityCategory, enumName: 'municipality_category' })
  category!: MunicipalityCategory;

  @Index()
  @Column({ type: 'varchar', length: 8 })
  districtCode!: string;

  @Index()
  @Column({ type: 'varchar', length: 3 })
  provinceCode!: string;

  @Column({ type: 'integer' })
  wardCount!: number;

  @ManyToOne(() => District, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'district_code' })
  district?: District;

  @ManyToOne(() => Province, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'province_code' })
  province?: Province;
}
