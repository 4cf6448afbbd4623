import { MemberStatus } from '@app/members';
import type { MemberOnDate } from '@app/members';

/** Quorum of a ward assembly: ⌊members in good standing of the ward on the meeting date ÷ 2⌋ + 1. */
export function quorumOf(inGoodStanding: number): number {
  return Math.floor(inGoodStanding / 2) + 1;
}

/** Invited to a ward assembly: Active and Grace Period members of the ward on the meeting date. */
export function isInvited(m: MemberOnDate): boolean {
  return m.statusOnDate === MemberStatus.Active || m.statusOnDate === MemberStatus.GracePeriod;
}

/** In good standing (counts for the quorum, may vote, may be a delegate): Active on that date. */
export function inGoodStanding(m: MemberOnDate): boolean {
  return m.statusOnDate === MemberStatus.Active;
}
