import { ERASED, erasedIdNumber, personalValues, Scrubber, yearOnly } from './erasure.js';

describe('erasure helpers', () => {
  it('makes a 13-character ID placeholder that never validates as an ID number', () => {
    const placeholder = erasedIdNumber('3f2a9c01-b7d4-4e5f-8a6b-0c1d2e3f4a5b');
    expect(placeholder).toBe('X0C1D2E3F4A5B');
    expect(placeholder).toHaveLength(13);
    // an ID number is 13 digits; the placeholder starts with a letter
    expect(placeholder).not.toMatch(/^\d{13}$/);
  });

  it('keeps only the year of a date of birth', () => {
    expect(yearOnly('1988-05-14')).toBe('1988-01-01');
  });

  it('erases personal keys on both sides of a diff and personal values in free text', () => {
    const scrub = new Scrubber(['Zanele Qwabe', 'Qwabe', '+27821234567', 'Al', '1988-05-14']);
    expect(
      scrub.json({
        changes: {
          surname: { from: 'Qwabe', to: 'Dlamini' },
          wardCode: { from: '74201001', to: '74201002' },
        },
        note: 'call zanele qwabe on 0821234567, born 1988-05-14, with Al',
        membershipNumber: 'EFF20260000001',
      }),
    ).toEqual({
      changes: {
        surname: { from: ERASED, to: ERASED },
        wardCode: { from: '74201001', to: '74201002' },
      },
      // short values and dates are not searched for (they would hit unrelated text)
      note: `call ${ERASED} on ${ERASED}, born 1988-05-14, with Al`,
      membershipNumber: 'EFF20260000001',
    });
    expect(scrub.nullableText(null)).toBeNull();
    expect(new Scrubber([]).text('unchanged')).toBe('unchanged');
  });

  it('collects earlier personal values from diffs', () => {
    const values = personalValues({
      changes: { firstNames: { from: 'Old Name', to: 'New Name' }, status: { from: 'a', to: 'b' } },
    });
    expect([...values].sort()).toEqual(['New Name', 'Old Name']);
  });
});
