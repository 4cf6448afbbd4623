// The attendance register row kind on the import's worker thread: the engine (libs/files/src/imports) imports only
// this module (and what it imports), by the path AttendanceImportKind registers. Nothing here may need Nest or the
// app. The rule is attendance-rules.ts, the same as POST /meetings/{id}/attendance.
import { defineRowKind, headerMapper, ImportFailure } from '@app/files/row-kind';
import type { RejectedRow } from '@app/files/row-kind';
import { MeetingStatus, MeetingType } from '../branches.enums.js';
import {
  ATTENDANCE_REJECTION_TEXT,
  attendanceRefusal,
  judgeAttendance,
  normaliseMembershipNumber,
} from './attendance-rules.js';

/** What the main thread gives each attendance import job (AttendanceImportKind.context). */
export interface AttendanceImportContext {
  meetingId: string;
  /** The South African date the job started on (attendance only on or after the meeting date). */
  today: string;
  /** [membership number, member id] of every invitee of the meeting on its date. */
  invitees: [string, string][];
}

interface AttendanceRow {
  rowNumber: number;
  membershipNumber: string;
}

export const ATTENDANCE_REPORT_COLUMNS = [{ header: 'Membership Number', width: 20 }] as const;

/** Only the membership number is read; names and any other columns are ignored. */
export const mapAttendanceHeaders = headerMapper(
  {
    membershipNumber: [
      'Membership Number',
      'Membership No',
      'Membership No.',
      'Member Number',
      'Member No',
      'Membership',
    ],
  },
  ['membershipNumber'],
);

function rejection(
  rowNumber: number,
  membershipNumber: string,
  reason: string,
  duplicate = false,
): RejectedRow {
  return {
    rowNumber,
    duplicate,
    reasons: [`membershipNumber: ${reason}`],
    fields: [membershipNumber.slice(0, 20) || null],
  };
}

export const rowKind = defineRowKind<AttendanceRow, AttendanceImportContext>({
  mapHeaders: mapAttendanceHeaders,
  open(job, mapping, context) {
    const column = [...mapping.columns.entries()].find(([, f]) => f === 'membershipNumber')?.[0];
    if (column === undefined) throw new ImportFailure('The file has no Membership Number column');
    const invitees = new Map(context.invitees);
    /** Numbers of earlier rows (this run's and a resumed job's committed ones): a later one is a duplicate. */
    const seen = new Set<string>();
    const numberOf = (cells: readonly string[]): string =>
      normaliseMembershipNumber(cells[column] ?? '');
    return {
      committed(_rowNumber, cells) {
        seen.add(numberOf(cells));
      },
      check(rowNumber, cells) {
        const membershipNumber = numberOf(cells);
        if (!membershipNumber) {
          return { rejected: rejection(rowNumber, '', 'empty') };
        }
        if (membershipNumber.length > 20) {
          return { rejected: rejection(rowNumber, membershipNumber, 'not a membership number') };
        }
        return { row: { rowNumber, membershipNumber } };
      },
      async writeBatch(db, batch, ctx) {
        // Every batch locks the meeting row like POST …/attendance does: wait for the previous batch to let go.
        await ctx.previousCommitted();
        const [meeting] = await db.query<{
          type: MeetingType;
          ward_code: string | null;
          status: MeetingStatus;
          scheduled_on: string;
          verified_at: Date | null;
        }>(
          `SELECT type, ward_code, status, to_char(scheduled_on, 'YYYY-MM-DD') AS scheduled_on, verified_at
             FROM branch_meetings WHERE id = $1 FOR UPDATE`,
          [context.meetingId],
        );
        if (!meeting) throw new ImportFailure('The meeting no longer exists');
        const refusal = attendanceRefusal(
          {
            type: meeting.type,
            wardCode: meeting.ward_code,
            status: meeting.status,
            scheduledOn: meeting.scheduled_on,
            verifiedAt: meeting.verified_at,
          },
          context.today,
        );
        if (refusal) throw new ImportFailure(refusal.detail);

        const numbers = batch.rows.map((r) => r.membershipNumber);
        const known = await db.query<{ membership_number: string; ward_code: string | null }>(
          'SELECT membership_number, ward_code FROM members WHERE membership_number = ANY($1::varchar[])',
          [numbers],
        );
        const inviteeIds = numbers.flatMap((n) => {
          const id = invitees.get(n);
          return id === undefined ? [] : [id];
        });
        const recorded = await db.query<{ member_id: string }>(
          `SELECT member_id FROM branch_meeting_attendance
            WHERE meeting_id = $1 AND member_id = ANY($2::uuid[])`,
          [context.meetingId, inviteeIds],
        );
        const judged = judgeAttendance(
          { type: meeting.type, wardCode: meeting.ward_code },
          numbers,
          {
            invitees,
            known: new Map(known.map((k) => [k.membership_number, k.ward_code])),
            recorded: new Set(recorded.map((r) => r.member_id)),
          },
          seen,
        );
        if (judged.accepted.length > 0 && !job.dryRun) {
          await db.query(
            `INSERT INTO branch_meeting_attendance (meeting_id, member_id, membership_number, recorded_by)
             SELECT $1, a.member_id, a.membership_number, $4
               FROM unnest($2::uuid[], $3::varchar[]) AS a(member_id, membership_number)`,
            [
              context.meetingId,
              judged.accepted.map((a) => a.memberId),
              judged.accepted.map((a) => a.membershipNumber),
              job.uploadedBy,
            ],
          );
        }
        return {
          inserted: judged.accepted.length,
          updated: 0,
          rejected: judged.rejected.map((r) =>
            rejection(
              batch.rows[r.index]?.rowNumber ?? 0,
              r.membershipNumber,
              `${r.reason}: ${ATTENDANCE_REJECTION_TEXT[r.reason]}`,
              r.reason === 'duplicate' || r.reason === 'already_recorded',
            ),
          ),
        };
      },
    };
  },
});
