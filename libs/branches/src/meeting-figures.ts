import { MemberStatus } from '@app/members';
import type { MemberOnDate } from '@app/members';
import type { VerifiedFigures } from './entities/branch-meeting.entity.js';

/** Quorum of a ward assembly: ⌊members in good standing of the ward on the meeting date ÷ 2⌋ + 1. */
export function quorumOf(inGoodStanding: number): number {
  return Math.floor(inGoodStanding / 2) + 1;
}

/** Statuses on the meeting date that are invited to a ward assembly. */
export const INVITED_STATUSES: readonly MemberStatus[] = [
  MemberStatus.Active,
  MemberStatus.GracePeriod,
];
/** Statuses on the meeting date in good standing (count for the quorum, may vote, may be a delegate). */
export const GOOD_STANDING_STATUSES: readonly MemberStatus[] = [MemberStatus.Active];

/** Invited to a ward assembly: Active and Grace Period members of the ward on the meeting date. */
export function isInvited(m: MemberOnDate): boolean {
  return INVITED_STATUSES.includes(m.statusOnDate);
}

/** In good standing (counts for the quorum, may vote, may be a delegate): Active on that date. */
export function inGoodStanding(m: MemberOnDate): boolean {
  return GOOD_STANDING_STATUSES.includes(m.statusOnDate);
}

const sqlStatuses = (statuses: readonly MemberStatus[]): string =>
  `ARRAY[${statuses.map((s) => `'${s}'`).join(', ')}]::text[]`;

/** The counts of a ward assembly as SQL rows of `wardFiguresSql`. */
export interface WardFigureCounts {
  invited: number;
  inGoodStanding: number;
  attendees: number;
  attendeesInGoodStanding: number;
}

/**
 * SQL: one row with a ward assembly's counts (WardFigureCounts), over the CTE `status_on_date`
 * (MemberStandingService.statusOnDateSql) and the attendance of meeting `meetingId` (an SQL expression), with the
 * rules of isInvited and inGoodStanding.
 */
export function wardFiguresSql(meetingId: string): string {
  const invited = sqlStatuses(INVITED_STATUSES);
  const good = sqlStatuses(GOOD_STANDING_STATUSES);
  return `SELECT count(*) FILTER (WHERE s.status_on_date = ANY(${invited}))::int AS "invited",
         count(*) FILTER (WHERE s.status_on_date = ANY(${good}))::int AS "inGoodStanding",
         count(*) FILTER (WHERE s.status_on_date = ANY(${good}) AND EXISTS (
           SELECT 1 FROM branch_meeting_attendance a
            WHERE a.meeting_id = ${meetingId} AND a.member_id = s.id))::int AS "attendeesInGoodStanding",
         (SELECT count(*)::int FROM branch_meeting_attendance a
           WHERE a.meeting_id = ${meetingId}) AS "attendees"
    FROM status_on_date s`;
}

/** The figures from the counts: quorum and quorumMet derived, never typed. */
export function figuresOf(counts: WardFigureCounts): VerifiedFigures {
  const quorum = quorumOf(counts.inGoodStanding);
  return {
    invited: counts.invited,
    inGoodStanding: counts.inGoodStanding,
    quorum,
    attendees: counts.attendees,
    attendeesInGoodStanding: counts.attendeesInGoodStanding,
    quorumMet: counts.attendeesInGoodStanding >= quorum,
  };
}
