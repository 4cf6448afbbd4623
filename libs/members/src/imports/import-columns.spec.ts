import { MemberStatus } from '../entities/member.entity.js';
import { mapHeaders } from './import-columns.js';
import { maskIdNumber, membershipState } from './membership-state.js';

describe('import rows', () => {
  it('matches headers whatever their case, spacing and common synonyms', () => {
    const m = mapHeaders([
      'SA ID',
      'First Name(s)',
      'LAST_NAME',
      'Cellphone',
      'Ward Code',
      'Notes',
    ]);
    expect([...m.columns.values()]).toEqual([
      'idNumber',
      'firstNames',
      'surname',
      'cellNumber',
      'wardCode',
    ]);
    expect(m.ignored).toEqual(['Notes']);
    expect(m.missing).toEqual([]);
    expect(mapHeaders(['Name', 'Name']).repeated).toEqual(['firstNames']);
    expect(mapHeaders(['Phone']).missing).toEqual([
      'idNumber',
      'firstNames',
      'surname',
      'wardCode',
    ]);
  });

  it('masks ID numbers to their last four digits', () => {
    expect(maskIdNumber('8001015009087')).toBe('*********9087');
    expect(maskIdNumber('123')).toBe('***');
    expect(maskIdNumber(undefined)).toBeNull();
  });

  it('derives status and expiry from the last payment', () => {
    expect(membershipState(null, '2025-06-01')).toEqual({
      status: MemberStatus.Pending,
      expiresOn: null,
    });
    expect(membershipState('2024-01-31', '2025-06-01')).toEqual({
      status: MemberStatus.Active,
      expiresOn: '2026-01-31',
    });
    expect(membershipState('2023-03-01', '2025-04-01').status).toBe(MemberStatus.GracePeriod);
    expect(membershipState('2020-01-01', '2025-04-01').status).toBe(MemberStatus.Expired);
  });
});
