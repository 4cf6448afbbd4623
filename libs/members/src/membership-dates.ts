import { MemberStatus } from './entities/member.entity.js';

const SA_DATE = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Africa/Johannesburg',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** Today's date (YYYY-MM-DD) in South Africa, the calendar the party's membership dates follow. */
export function todayInSouthAfrica(now: Date = new Date()): string {
  return SA_DATE.format(now);
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
