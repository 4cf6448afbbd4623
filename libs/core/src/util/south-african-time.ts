/** The time zone of the party's calendar: membership dates, appointments and scheduled jobs. */
export const SOUTH_AFRICAN_TIME_ZONE = 'Africa/Johannesburg';

const SA_DATE = new Intl.DateTimeFormat('en-CA', {
  timeZone: SOUTH_AFRICAN_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** Today's date (YYYY-MM-DD) in South Africa. */
export function todayInSouthAfrica(now: Date = new Date()): string {
  return SA_DATE.format(now);
}
