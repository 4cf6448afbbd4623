import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('provinces')
export class Province {
  @PrimaryColumn({ type: 'varchar', length: 3 })
  code!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;
}
