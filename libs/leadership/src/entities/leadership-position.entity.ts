import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { StructureKind } from '../leadership.enums.js';

/**
 * A position in every structure of one kind, seeded from the catalogue (position-catalogue.ts). `seats` is
 * how many may hold it at once; `provinceCode` restricts holders to members of that province (War Council
 * deployees).
 */
@Entity('leadership_positions')
@Index(['structureKind', 'code'], { unique: true })
@Check('CHK_leadership_positions_seats', '"seats" >= 1')
export class LeadershipPosition {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'enum', enum: StructureKind, enumName: 'leadership_structure_kind' })
  structureKind!: StructureKind;

  /** Stable machine name, e.g. `chairperson`, `deployee_gp`. */
  @Column({ type: 'varchar', length: 40 })
  code!: string;

  @Column({ type: 'varchar', length: 120 })
  title!: string;

  /** Display order within the structure. */
  @Column({ type: 'integer' })
  rank!: number;

  @Column({ type: 'integer' })
  seats!: number;

  /** Eligibility: the holder must be a member of this province (War Council deployees); null = none. */
  @Column({ type: 'varchar', length: 3, nullable: true })
  provinceCode!: string | null;
}
