import { checkIdNumber } from '../identity.js';
import { MemberRowGenerator, SEED_MEMBER_COLUMNS } from './member-row-generator.js';

const wards = [
  { wardCode: '79800001', municipalityCode: 'JHB', districtCode: 'JHB', provinceCode: 'GP' },
  { wardCode: '52104001', municipalityCode: 'KZN212', districtCode: 'DC21', provinceCode: 'KZN' },
];
const today = new Date('2026-11-24T00:00:00Z');

async function rows(count: number, usedSerials?: Map<string, number>) {
  const generator = await MemberRowGenerator.create({
    count,
    seed: 7,
    wards,
    firstSequenceValue: 41n,
    usedSerials,
    today,
    policy: { periodMonths: 24, graceDays: 90 },
  });
  const text = generator.nextChunk(count + 10) ?? '';
  expect(generator.nextChunk(10)).toBeNull();
  return text
    .trimEnd()
    .split('\n')
    .map((line) =>
      Object.fromEntries(line.split('\t').map((value, i) => [SEED_MEMBER_COLUMNS[i], value])),
    );
}

describe('MemberRowGenerator', () => {
  it('produces valid, unique ID numbers whose facts match the row', async () => {
    const members = await rows(20_000);
    expect(members).toHaveLength(20_000);
    expect(new Set(members.map((m) => m.id_number)).size).toBe(20_000);
    for (const m of members.slice(0, 2000)) {
      const check = checkIdNumber(m.id_number, today);
      expect(check).toEqual({
        valid: true,
        facts: { dateOfBirth: m.date_of_birth, gender: m.gender, citizenship: m.citizenship },
      });
    }
  });

  it('keeps dates consistent with the status and membership numbers in sequence', async () => {
    const members = await rows(5000);
    expect(members[0]!.membership_number).toBe(`EFF${members[0]!.joined_on!.slice(0, 4)}0000041`);
    for (const m of members) {
      expect(m.joined_on! <= m.last_paid_on!).toBe(true);
      expect(m.joined_on! >= '2013-07-26').toBe(true);
      const expires = m.expires_on!;
      if (m.status === 'active') expect(expires >= '2026-11-24').toBe(true);
      if (m.status === 'grace_period')
        expect(expires < '2026-11-24' && expires >= '2026-08-26').toBe(true);
      if (m.status === 'expired') expect(expires < '2026-08-26').toBe(true);
      expect(m.cell_number === '\\N' || /^\+27\d{9}$/.test(m.cell_number)).toBe(true);
    }
  });

  it('continues after serials already used, so existing members never collide', async () => {
    const first = await rows(3000);
    const used = new Map<string, number>();
    for (const m of first) {
      const key = m.id_number!.slice(0, 6) + (m.gender === 'female' ? 'f' : 'm');
      used.set(key, Math.max(used.get(key) ?? 0, Number(m.id_number!.slice(6, 10))));
    }
    const second = await rows(3000, used);
    const all = new Set([...first, ...second].map((m) => m.id_number));
    expect(all.size).toBe(6000);
  });
});
