import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One attendee of a meeting (a member may be recorded once per meeting). */
@Entity('branch_meeting_attendance')
export class MeetingAttendance {
  @PrimaryColumn({ type: 'uuid' })
  meetingId!: string;

  @PrimaryColumn({ type: 'uuid' })
  memberId!: string;

  @Column({ type: 'varchar', length: 20 })
  membershipNumber!: string;

  @Column({ type: 'uuid', nullable: true })
  recordedBy!: string | null;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  recordedAt!: Date;
}
