import { MemberStatus } from './entities/member.entity.js';

/** The configured membership rules (MEMBERSHIP_PERIOD_MONTHS, GRACE_PERIOD_DAYS). */
export interface MembershipPolicy {
  /** A membership runs this many months from the last payment. */
  periodMonths: number;
  /** Days after expiry during which a member is in Grace Period before becoming Expired. */
  graceDays: number;
}

export function membershipPolicy(config: {
  MEMBERSHIP_PERIOD_MONTHS: number;
  GRACE_PERIOD_DAYS: number;
}): MembershipPolicy {
  return { periodMonths: config.MEMBERSHIP_PERIOD_MONTHS, graceDays: config.GRACE_PERIOD_DAYS };
}

function parts(date: string): [number, number, number] {
  const [y, m, d] = date.split('-').map(Number);
  return [y ?? 0, m ?? 1, d ?? 1];
}

function format(utc: Date): string {
  return utc.toISOString().slice(0, 10);
}

/** Adds months to a YYYY-MM-DD date, clamping to the month's last day (2024-02-29 + 24 months = 2026-02-28). */
export function addMonths(date: string, months: number): string {
  const [y, m, d] = parts(date);
  const firstOfTarget = new Date(Date.UTC(y, m - 1 + months, 1));
  const lastDay = new Date(
    Date.UTC(firstOfTarget.getUTCFullYear(), firstOfTarget.getUTCMonth() + 1, 0),
  ).getUTCDate();
  return format(
    new Date(
      Date.UTC(firstOfTarget.getUTCFullYear(), firstOfTarget.getUTCMonth(), Math.min(d, lastDay)),
    ),
  );
}

export function addDays(date: string, days: number): string {
  const [y, m, d] = parts(date);
  return format(new Date(Date.UTC(y, m - 1, d + days)));
}

/**
 * The status an expiry date implies today: Active until the expiry date has passed, Grace Period for up to
 * `graceDays` days after it, Expired after that.
 */
export function statusForExpiry(
  expiresOn: string,
  today: string,
  graceDays: number,
): MemberStatus.Active | MemberStatus.GracePeriod | MemberStatus.Expired {
  if (expiresOn >= today) return MemberStatus.Active;
  if (expiresOn >= addDays(today, -graceDays)) return MemberStatus.GracePeriod;
  return MemberStatus.Expired;
}

/** Expiry and status from the last payment: the membership runs the configured period from it. */
export function membershipFromPayment(
  lastPaidOn: string,
  today: string,
  policy: MembershipPolicy,
): {
  expiresOn: string;
  status: MemberStatus.Active | MemberStatus.GracePeriod | MemberStatus.Expired;
} {
  const expiresOn = addMonths(lastPaidOn, policy.periodMonths);
  return { expiresOn, status: statusForExpiry(expiresOn, today, policy.graceDays) };
}
