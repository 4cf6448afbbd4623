import { MemberStatus } from './entities/member.entity.js';
import { addDays, addMonths, membershipFromPayment, statusForExpiry } from './membership-dates.js';

describe('membership dates', () => {
  it('adds months, clamping to the end of the month', () => {
    expect(addMonths('2024-03-01', 24)).toBe('2026-03-01');
    expect(addMonths('2024-02-29', 24)).toBe('2026-02-28');
    expect(addMonths('2025-01-31', 1)).toBe('2025-02-28');
    expect(addMonths('2025-11-15', 2)).toBe('2026-01-15');
  });

  it('adds days across months and years', () => {
    expect(addDays('2026-01-01', -1)).toBe('2025-12-31');
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
  });

  it('derives the status from the expiry date and the grace period', () => {
    const today = '2026-06-01';
    expect(statusForExpiry('2026-06-01', today, 90)).toBe(MemberStatus.Active);
    expect(statusForExpiry('2026-05-31', today, 90)).toBe(MemberStatus.GracePeriod);
    expect(statusForExpiry(addDays(today, -90), today, 90)).toBe(MemberStatus.GracePeriod);
    expect(statusForExpiry(addDays(today, -91), today, 90)).toBe(MemberStatus.Expired);
  });

  it('derives expiry and status from the last payment and the configured policy', () => {
    const policy = { periodMonths: 24, graceDays: 90 };
    expect(membershipFromPayment('2024-01-31', '2025-06-01', policy)).toEqual({
      expiresOn: '2026-01-31',
      status: MemberStatus.Active,
    });
    expect(membershipFromPayment('2023-03-01', '2025-04-01', policy).status).toBe(
      MemberStatus.GracePeriod,
    );
    expect(membershipFromPayment('2020-01-01', '2025-04-01', policy).status).toBe(
      MemberStatus.Expired,
    );
    expect(
      membershipFromPayment('2024-01-31', '2025-06-01', { periodMonths: 12, graceDays: 0 }),
    ).toEqual({
      expiresOn: '2025-01-31',
      status: MemberStatus.Expired,
    });
  });
});
