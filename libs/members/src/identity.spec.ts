import { checkIdNumber, Citizenship, Gender, normaliseCellNumber } from './identity.js';

describe('checkIdNumber', () => {
  const today = new Date('2026-11-24T00:00:00Z');

  it('accepts a valid ID number and derives date of birth, gender and citizenship', () => {
    expect(checkIdNumber('8001015009087', today)).toEqual({
      valid: true,
      facts: { dateOfBirth: '1980-01-01', gender: Gender.Male, citizenship: Citizenship.Citizen },
    });
  });

  it('picks the century that puts the date of birth in the past', () => {
    const check = checkIdNumber('0002290001086', today);
    expect(check).toMatchObject({
      valid: true,
      facts: { dateOfBirth: '2000-02-29', gender: Gender.Female },
    });
  });

  it.each([
    ['8001015009086', 'check digit'],
    ['800101500908', '13 digits'],
    ['80010150090871', '13 digits'],
    ['80010150090a7', '13 digits'],
    ['8013015009080', 'real date'],
    ['8002305009082', 'real date'],
    ['8001015009280', '11th digit'],
  ])('rejects %s with a precise reason (%s)', (idNumber, reason) => {
    const check = checkIdNumber(idNumber, today);
    expect(check.valid).toBe(false);
    expect(check.valid ? '' : check.reason).toContain(reason);
  });
});

describe('normaliseCellNumber', () => {
  it.each([
    ['0821234567', '+27821234567'],
    ['082 123 4567', '+27821234567'],
    ['+27 82 123 4567', '+27821234567'],
  ])('normalises %s to E.164', (input, expected) => {
    expect(normaliseCellNumber(input)).toBe(expected);
  });

  it.each(['12345', '082123456', '+44 20 7946 0958', 'not a number'])('rejects %s', (input) => {
    expect(normaliseCellNumber(input)).toBeNull();
  });
});
