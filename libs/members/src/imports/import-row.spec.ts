import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { CreateMemberDto } from '../dto/create-member.dto.js';
import { quickCheck } from './quick-check.js';

const VALIDATION = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  validationError: { target: false, value: false },
} as const;

const base = {
  idNumber: '8001015009087',
  firstNames: 'Thandiwe   Naledi',
  surname: 'Mokoena',
  wardCode: '79800001',
};

const bodies: Record<string, unknown>[] = [
  base,
  { ...base, idNumber: '800101 5009 087' },
  { ...base, idNumber: '8001015009088' },
  { ...base, idNumber: '800101500908' },
  { ...base, firstNames: ' ' },
  { ...base, firstNames: 'x'.repeat(100) },
  { ...base, firstNames: 'x'.repeat(101) },
  { ...base, surname: '😀'.repeat(60) },
  { ...base, wardCode: '7980001' },
  { ...base, cellNumber: '0821234567' },
  { ...base, cellNumber: '+27 82 123 4567' },
  { ...base, cellNumber: '12345' },
  { ...base, cellNumber: '0'.repeat(21) },
  { ...base, email: ' Thandi@Example.org ' },
  { ...base, email: 'not-an-email' },
  { ...base, email: `${'a'.repeat(250)}@x.org` },
  { ...base, residentialAddress: '12  Vilakazi Street' },
  { ...base, residentialAddress: 'y'.repeat(301) },
  { ...base, joinedOn: '2024-03-01', lastPaidOn: '2024-02-29' },
  { ...base, joinedOn: '2023-02-29' },
  { ...base, lastPaidOn: '2024-3-1' },
  { ...base, lastPaidOn: '20240301' },
  { ...base, consentGiven: true },
  { ...base, consentGiven: false },
  { ...base, consentGiven: 'maybe' },
  { ...base, unexpected: 'x' },
  { firstNames: 'A', surname: 'B', wardCode: '79800001' },
];

describe('import row fast path', () => {
  it.each(bodies.map((b, i) => [i, b] as const))(
    'accepts row %i only when CreateMemberDto does, with the same values',
    (_, body) => {
      const dto = plainToInstance(CreateMemberDto, body);
      const errors = validateSync(dto, VALIDATION);
      const quick = quickCheck(body);
      if (quick) {
        expect(errors).toEqual([]);
        expect({ ...quick.dto }).toEqual({ ...dto });
      }
      if (errors.length === 0 && body === base) expect(quick).not.toBeNull();
    },
  );

  it('takes the fast path for an ordinary full row', () => {
    const quick = quickCheck({
      ...base,
      cellNumber: '0821234567',
      email: 'thandi@example.org',
      residentialAddress: '12 Vilakazi Street',
      joinedOn: '2024-03-01',
      lastPaidOn: '2024-03-01',
      consentGiven: true,
    });
    expect(quick?.cell).toBe('+27821234567');
    expect(quick?.identity?.valid).toBe(true);
  });
});
