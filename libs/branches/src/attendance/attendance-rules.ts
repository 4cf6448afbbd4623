// Who may be recorded as attending a meeting: the one rule behind POST /meetings/{id}/attendance
// (MeetingsService.recordAttendance) and the attendance register import (attendance-import.worker.ts). It runs on
// the import's worker thread too, so it imports nothing that needs Nest, the app or its pools.
import { MeetingStatus, MeetingType } from '../branches.enums.js';

/** Why a membership number was refused for attendance. */
export type AttendanceRejection =
  'unknown' | 'other_ward' | 'not_invited' | 'duplicate' | 'already_recorded';

/** What each refusal means, for people (the import's rejected-rows report). */
export const ATTENDANCE_REJECTION_TEXT: Readonly<Record<AttendanceRejection, string>> = {
  unknown: 'no member has this membership number',
  other_ward: 'a member of another ward',
  not_invited:
    'not invited to this meeting (not Active or Grace Period on the meeting date, or not an office bearer of the structure)',
  duplicate: 'the same membership number is given more than once',
  already_recorded: 'already recorded as attending this meeting',
};

/** The meeting as the rule needs it. */
export interface AttendanceMeeting {
  type: MeetingType;
  wardCode: string | null;
  status: MeetingStatus;
  scheduledOn: string;
  verifiedAt: Date | string | null;
}

/**
 * Why attendance cannot be recorded for this meeting at all, or null: `locked` once verified, `not_eligible`
 * for a cancelled or postponed meeting or before the meeting date.
 */
export function attendanceRefusal(
  meeting: AttendanceMeeting,
  today: string,
): { kind: 'locked' | 'not_eligible'; detail: string } | null {
  if (meeting.verifiedAt) {
    return { kind: 'locked', detail: 'The meeting was verified: it can no longer change' };
  }
  if (meeting.status === MeetingStatus.Cancelled || meeting.status === MeetingStatus.Postponed) {
    return {
      kind: 'not_eligible',
      detail: `Attendance cannot be recorded for a ${meeting.status} meeting`,
    };
  }
  if (meeting.scheduledOn > today) {
    return {
      kind: 'not_eligible',
      detail: `The meeting is on ${meeting.scheduledOn}: record attendance on or after that day`,
    };
  }
  return null;
}

/** What the rule looks numbers up in: the meeting's invitees, the members with those numbers, who is recorded. */
export interface AttendanceLookups {
  /** membership number -> member id of every invitee of the meeting (MeetingsService.invitees) */
  invitees: ReadonlyMap<string, string>;
  /** membership number -> current ward of every member with one of the numbers judged */
  known: ReadonlyMap<string, string | null>;
  /** member ids already recorded as attending */
  recorded: ReadonlySet<string>;
}

export interface AttendanceJudgement {
  accepted: { index: number; memberId: string; membershipNumber: string }[];
  rejected: { index: number; membershipNumber: string; reason: AttendanceRejection }[];
}

/** The number as compared: surrounding spaces do not count. */
export function normaliseMembershipNumber(raw: string): string {
  return raw.trim();
}

/**
 * Judges membership numbers, in order: a number given before (in `seen`, which the caller may keep across calls,
 * e.g. across an import's batches) is a duplicate; then unknown; then not an invitee (other_ward when the member
 * belongs to another ward today and the meeting is a ward assembly, else not_invited); then already recorded.
 * `index` is the number's position in `numbers`.
 */
export function judgeAttendance(
  meeting: Pick<AttendanceMeeting, 'type' | 'wardCode'>,
  numbers: readonly string[],
  lookups: AttendanceLookups,
  seen: Set<string> = new Set(),
): AttendanceJudgement {
  const out: AttendanceJudgement = { accepted: [], rejected: [] };
  numbers.forEach((raw, index) => {
    const membershipNumber = normaliseMembershipNumber(raw);
    const reject = (reason: AttendanceRejection): void => {
      out.rejected.push({ index, membershipNumber, reason });
    };
    if (seen.has(membershipNumber)) return reject('duplicate');
    seen.add(membershipNumber);
    if (!lookups.known.has(membershipNumber)) return reject('unknown');
    const memberId = lookups.invitees.get(membershipNumber);
    if (memberId === undefined) {
      const otherWard =
        meeting.type !== MeetingType.Structure &&
        lookups.known.get(membershipNumber) !== meeting.wardCode;
      return reject(otherWard ? 'other_ward' : 'not_invited');
    }
    if (lookups.recorded.has(memberId)) return reject('already_recorded');
    out.accepted.push({ index, memberId, membershipNumber });
  });
  return out;
}
