import { MemberStatus } from '../entities/member.entity.js';

/** A membership runs this many months from the last payment (DOMAIN.md). */
export const MEMBERSHIP_MONTHS = 24;
/** Days after expiry during which a membership is in its grace period. */
export const GRACE_PERIOD_DAYS = 90;

export interface WardChainRow {
  wardCode: string;
  municipalityCode: string;
  districtCode: string;
  provinceCode: string;
}

export function maskIdNumber(idNumber: string | undefined): string | null {
  if (!idNumber) return null;
  const digits = idNumber.replace(/[\s-]/g, '').slice(0, 13);
  return digits.length <= 4
    ? '*'.repeat(digits.length)
    : `${'*'.repeat(digits.length - 4)}${digits.slice(-4)}`;
}

export function todayUtc(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}

function addMonths(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const target = new Date(Date.UTC(y, m - 1 + months, 1));
  const lastDay = new Date(
    Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0),
  ).getUTCDate();
  target.setUTCDate(Math.min(d, lastDay));
  return target.toISOString().slice(0, 10);
}

function addDays(date: string, days: number): string {
  const t = new Date(`${date}T00:00:00Z`);
  t.setUTCDate(t.getUTCDate() + days);
  return t.toISOString().slice(0, 10);
}

/** Expiry and status from the last payment: Active until expiry, then the grace period, then Expired. */
export function membershipState(
  lastPaidOn: string | null,
  today: string,
): { status: MemberStatus; expiresOn: string | null } {
  if (!lastPaidOn) return { status: MemberStatus.Pending, expiresOn: null };
  const expiresOn = addMonths(lastPaidOn, MEMBERSHIP_MONTHS);
  if (expiresOn >= today) return { status: MemberStatus.Active, expiresOn };
  if (addDays(expiresOn, GRACE_PERIOD_DAYS) >= today) {
    return { status: MemberStatus.GracePeriod, expiresOn };
  }
  return { status: MemberStatus.Expired, expiresOn };
}
