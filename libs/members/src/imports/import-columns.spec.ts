import { mapHeaders } from './import-columns.js';
import { maskIdNumber } from '../identity.js';

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
});
