import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Exclusion,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { Member } from '@app/members';
import { AppointmentKind, EndReason } from '../leadership.enums.js';
import { LeadershipPosition } from './leadership-position.entity.js';
import { LeadershipStructure } from './leadership-structure.entity.js';

/**
 * One member holding one position in one structure from `startsOn` until `endsOn` (exclusive; null = open).
 * Never deleted: ending sets endsOn and endReason. The database guarantees, over daterange(startsOn, endsOn,
 * '[)') with btree_gist:
 * - a single-holder position (singleHolder, copied from the position's seats = 1) has at most one holder on
 *   any date;
 * - a member holds at most one position per structure on any date.
 * Seat counts of multi-seat positions are enforced by the service under a row lock on the structure.
 */
@Entity('leadership_appointments')
@Index(['structureId', 'positionId'])
@Index(['memberId'])
@Check('CHK_leadership_appointments_dates', '"ends_on" IS NULL OR "ends_on" >= "starts_on"')
@Exclusion(
  'EX_leadership_appointments_single_holder',
  `USING gist ("structure_id" WITH =, "position_id" WITH =, daterange("starts_on", "ends_on", '[)') WITH &&) WHERE ("single_holder")`,
)
@Exclusion(
  'EX_leadership_appointments_member_per_structure',
  `USING gist ("structure_id" WITH =, "member_id" WITH =, daterange("starts_on", "ends_on", '[)') WITH &&)`,
)
export class LeadershipAppointment {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  structureId!: string;

  @ManyToOne(() => LeadershipStructure, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'structure_id' })
  structure?: LeadershipStructure;

  @Column({ type: 'uuid' })
  positionId!: string;

  @ManyToOne(() => LeadershipPosition, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'position_id' })
  position?: LeadershipPosition;

  @Column({ type: 'uuid' })
  memberId!: string;

  @ManyToOne(() => Member, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'member_id' })
  member?: Member;

  @Column({ type: 'enum', enum: AppointmentKind, enumName: 'leadership_appointment_kind' })
  kind!: AppointmentKind;

  /** Copied from the position (seats = 1) when appointed; the single-holder exclusion constraint uses it. */
  @Column({ type: 'boolean' })
  singleHolder!: boolean;

  @Column({ type: 'date' })
  startsOn!: string;

  /** Exclusive: the first day the member no longer holds it. May be planned at appointment (acting). */
  @Column({ type: 'date', nullable: true })
  endsOn!: string | null;

  @Column({
    type: 'enum',
    enum: EndReason,
    enumName: 'leadership_end_reason',
    nullable: true,
  })
  /** Set when the appointment was ended (POST .../end); null while not formally ended. */
  endReason!: EndReason | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  note!: string | null;

  /** Why it ended, in words (beside endReason). */
  @Column({ type: 'varchar', length: 500, nullable: true })
  endNote!: string | null;

  @Column({ type: 'uuid', nullable: true })
  appointedBy!: string | null;

  @Column({ type: 'uuid', nullable: true })
  endedBy!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
