import type { CreateMemberDto } from './dto/create-member.dto.js';
import { MemberStatus } from './entities/member.entity.js';
import { Citizenship, Gender } from './identity.js';
import { newMember } from './new-member.js';

const chain = {
  wardCode: '79800001',
  municipalityCode: 'JHB',
  districtCode: 'JHB',
  provinceCode: 'GP',
};
const policy = { periodMonths: 24, graceDays: 90 };
const today = '2026-06-01';
const input = (change: Partial<CreateMemberDto> = {}): CreateMemberDto => ({
  idNumber: '8001015009087',
  firstNames: 'Thandiwe',
  surname: 'Mokoena',
  wardCode: '79800001',
  ...change,
});
const fields = (result: ReturnType<typeof newMember>): string[] =>
  'errors' in result ? result.errors.map((e) => e.field) : [];

describe('newMember', () => {
  it('derives the row: identity, E.164 cell, ward chain, dates and status', () => {
    expect(newMember(input({ cellNumber: '082 123 4567' }), chain, today, policy)).toEqual({
      member: {
        idNumber: '8001015009087',
        firstNames: 'Thandiwe',
        surname: 'Mokoena',
        dateOfBirth: '1980-01-01',
        gender: Gender.Male,
        citizenship: Citizenship.Citizen,
        cellNumber: '+27821234567',
        email: null,
        residentialAddress: null,
        ...chain,
        status: MemberStatus.Active,
        joinedOn: today,
        lastPaidOn: today,
        expiresOn: '2028-06-01',
        consentGiven: true,
      },
    });
  });

  it('takes a member with no payment date as paid on joining', () => {
    const result = newMember(input({ joinedOn: '2024-04-01' }), chain, today, policy);
    expect(result).toMatchObject({
      member: {
        joinedOn: '2024-04-01',
        lastPaidOn: '2024-04-01',
        expiresOn: '2026-04-01',
        status: MemberStatus.GracePeriod,
      },
    });
    expect(newMember(input({ joinedOn: '2019-01-01' }), chain, today, policy)).toMatchObject({
      member: { lastPaidOn: '2019-01-01', status: MemberStatus.Expired },
    });
  });

  it('follows the configured period and grace', () => {
    const result = newMember(input({ lastPaidOn: '2025-05-01' }), chain, today, {
      periodMonths: 12,
      graceDays: 0,
    });
    expect(result).toMatchObject({
      member: { expiresOn: '2026-05-01', status: MemberStatus.Expired },
    });
  });

  it('accepts today and refuses later dates, naming each field', () => {
    expect(
      fields(newMember(input({ joinedOn: today, lastPaidOn: today }), chain, today, policy)),
    ).toEqual([]);
    expect(fields(newMember(input({ joinedOn: '2026-06-02' }), chain, today, policy))).toEqual([
      'joinedOn',
    ]);
    expect(fields(newMember(input({ lastPaidOn: '2026-06-02' }), chain, today, policy))).toEqual([
      'lastPaidOn',
    ]);
    expect(
      fields(
        newMember(
          input({ joinedOn: '2026-07-01', lastPaidOn: '2026-07-01' }),
          chain,
          today,
          policy,
        ),
      ),
    ).toEqual(['joinedOn', 'lastPaidOn']);
  });

  it('does not refuse a payment date before the joining date', () => {
    expect(
      newMember(input({ joinedOn: '2025-01-01', lastPaidOn: '2024-12-01' }), chain, today, policy),
    ).toMatchObject({ member: { lastPaidOn: '2024-12-01', expiresOn: '2026-12-01' } });
  });

  it('refuses an invalid ID number or cell number (input that skipped the DTO, e.g. stored data)', () => {
    expect(fields(newMember(input({ idNumber: '8001015009086' }), chain, today, policy))).toEqual([
      'idNumber',
    ]);
    expect(fields(newMember(input({ cellNumber: '12345' }), chain, today, policy))).toEqual([
      'cellNumber',
    ]);
  });

  it('records consent unless it is refused', () => {
    expect(newMember(input({ consentGiven: false }), chain, today, policy)).toMatchObject({
      member: { consentGiven: false },
    });
  });
});
