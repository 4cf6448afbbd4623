import { parse } from 'csv-parse/sync';
import { bearer, createUser, loginAsSuperAdmin, Session } from '../harness/auth.js';
import { insertMembers, makeIdNumber } from '../harness/member-rows.js';
import { MemberBody, WARDS } from '../harness/members.js';
import { startTestContext, TestContext } from '../harness/test-app.js';

type Row = Record<string, string>;
/** Query parameters in order; a name may repeat (`status=a&status=b`). */
type Query = [string, string][];

const PAGE_SIZE = 4;

/** [first names, surname, ward, status, joined on, expires on]; cell numbers and ID numbers follow the index. */
const PEOPLE: [string, string, string, string, string, string | null][] = [
  ['Thabo', 'Mokwena', WARDS.own, 'active', '2023-01-10', '2025-01-10'],
  ['Kwena', 'Dlamini', WARDS.own, 'expired', '2022-03-05', '2024-03-05'],
  ['Zanele', 'Nkosi', WARDS.own, 'pending', '2025-01-02', null],
  ['Lerato', 'Sekwele', WARDS.siblingWard, 'grace_period', '2023-06-20', '2025-06-20'],
  ['Sipho', 'Ndlovu', WARDS.siblingWard, 'active', '2024-02-01', '2026-02-01'],
  ['Naledi', 'Mokoena', WARDS.siblingMunicipality, 'suspended', '2021-11-30', '2023-11-30'],
  ['Palesa', 'Khumalo', WARDS.siblingMunicipality, 'active', '2024-07-15', '2026-07-15'],
  ['Bongani', 'Zulu', WARDS.siblingDistrict, 'cancelled', '2020-05-05', null],
  ['Mpho', 'Mokwena', WARDS.siblingDistrict, 'active', '2023-09-09', '2025-09-09'],
  ['Kwena', 'Mathebula', WARDS.otherProvince, 'active', '2023-01-10', '2025-01-10'],
  ['Thabo', 'Maluleke', WARDS.otherProvince, 'expired', '2022-08-08', '2024-08-08'],
];
const idNumberOf = (index: number): string => makeIdNumber('1991-04-01', index + 1);
const cellNumberOf = (index: number): string => `+2782555${String(index).padStart(4, '0')}`;

/** The export's CSV row for a member as the list shows it (an admin's export: every column). */
function asExportRow(m: MemberBody): Row {
  const text = (value: unknown): string => (typeof value === 'string' ? value : '');
  return {
    'Membership Number': m.membershipNumber,
    'ID Number': m.idNumber,
    'First Names': m.firstNames,
    Surname: m.surname,
    Gender: text(m.gender),
    'Date of Birth': text(m.dateOfBirth),
    'Cell Number': text(m.cellNumber),
    Email: text(m.email),
    'Residential Address': text(m.residentialAddress),
    'Ward Code': m.wardCode,
    'Municipality Code': m.municipalityCode,
    'District Code': m.districtCode,
    'Province Code': m.provinceCode,
    Status: m.status,
    'Joined On': m.joinedOn,
    'Last Paid On': text(m.lastPaidOn),
    'Expires On': text(m.expiresOn),
  };
}

const byMembershipNumber = (a: Row, b: Row): number =>
  (a['Membership Number'] ?? '').localeCompare(b['Membership Number'] ?? '');

/**
 * The export takes the list's filters with the list's meaning: for every filter and caller, it has exactly the
 * members the list pages through (less anonymised members, which only the export leaves out).
 */
describe('member export: the list’s filters (e2e)', () => {
  let ctx: TestContext;
  let national: Session;
  let gp: Session;
  let anonymisedNumber: string;
  let target: MemberBody;

  const search = (query: Query): string => new URLSearchParams(query).toString();

  async function listAll(session: Session, query: Query): Promise<MemberBody[]> {
    const members: MemberBody[] = [];
    let cursor: string | null = null;
    do {
      const page: Query = [...query, ['limit', String(PAGE_SIZE)]];
      if (cursor) page.push(['cursor', cursor]);
      const res = await ctx.app
        .http()
        .get(`/api/v1/members?${search(page)}`)
        .set(...bearer(session));
      expect(res.status).toBe(200);
      const body = res.body as { data: MemberBody[]; nextCursor: string | null };
      members.push(...body.data);
      cursor = body.nextCursor;
    } while (cursor);
    return members;
  }

  async function exportRows(session: Session, query: Query): Promise<Row[]> {
    const res = await ctx.app
      .http()
      .get(`/api/v1/members/export?${search([...query, ['format', 'csv']])}`)
      .set(...bearer(session));
    expect(res.status).toBe(200);
    return parse<Row>(res.text, { columns: true, bom: true });
  }

  beforeAll(async () => {
    ctx = await startTestContext();
    national = await loginAsSuperAdmin(ctx.app);
    gp = await createUser(ctx.app, national, 'provincial_admin', 'province', 'GP');
    await insertMembers(ctx.db.pool, [
      ...PEOPLE.map(([firstNames, surname, wardCode, status, joinedOn, expiresOn], i) => ({
        idNumber: idNumberOf(i),
        firstNames,
        surname,
        wardCode,
        status,
        joinedOn,
        expiresOn,
        cellNumber: cellNumberOf(i),
      })),
      {
        idNumber: makeIdNumber('1991-05-01', 1),
        firstNames: 'Kwena',
        surname: 'Mokwena',
        wardCode: WARDS.own,
        anonymised: true,
      },
    ]);
    const { rows } = await ctx.db.pool.query<{ membership_number: string }>(
      'SELECT membership_number FROM members WHERE anonymised_at IS NOT NULL',
    );
    anonymisedNumber = rows[0]!.membership_number;
    const [byId] = await listAll(national, [['q', idNumberOf(6)]]);
    target = byId!;
  });
  afterAll(() => ctx?.close());

  const CASES: [string, () => Query][] = [
    ['no filter', () => []],
    ['q as a name fragment of surnames and first names', () => [['q', 'kwe']]],
    ['q across first names and surname, in capitals', () => [['q', 'BO MOK']]],
    ['q as an ID number', () => [['q', idNumberOf(3)]]],
    [
      'q as a membership number in lower case',
      () => [['q', target.membershipNumber.toLowerCase()]],
    ],
    ['q as a local cell number with spaces', () => [['q', '082 555 0004']]],
    ['two statuses, comma-separated', () => [['status', 'active,expired']]],
    [
      'two statuses, repeated',
      () => [
        ['status', 'suspended'],
        ['status', 'cancelled'],
      ],
    ],
    ['one status', () => [['status', 'grace_period']]],
    ['provinceCode', () => [['provinceCode', 'GP']]],
    ['provinceCode of another province', () => [['provinceCode', 'lp']]],
    ['districtCode', () => [['districtCode', 'DC42']]],
    ['municipalityCode in lower case', () => [['municipalityCode', 'gt422']]],
    ['wardCode', () => [['wardCode', WARDS.own]]],
    [
      'expiry range',
      () => [
        ['expiresFrom', '2025-01-10'],
        ['expiresTo', '2025-09-09'],
      ],
    ],
    [
      'joined range',
      () => [
        ['joinedFrom', '2023-01-01'],
        ['joinedTo', '2023-12-31'],
      ],
    ],
    ['joined from only', () => [['joinedFrom', '2024-01-01']]],
    ['expires to only', () => [['expiresTo', '2024-12-31']]],
    [
      'name, statuses, district and joined range together',
      () => [
        ['q', 'kwe'],
        ['status', 'active,grace_period'],
        ['districtCode', 'DC42'],
        ['joinedFrom', '2023-01-01'],
      ],
    ],
  ];

  it.each(CASES)(
    '%s: the export has exactly the list’s members and values',
    async (_name, query) => {
      for (const session of [national, gp]) {
        const listed = (await listAll(session, query()))
          .filter((m) => m.membershipNumber !== anonymisedNumber)
          .map(asExportRow)
          .sort(byMembershipNumber);
        const exported = (await exportRows(session, query())).sort(byMembershipNumber);
        expect(exported).toEqual(listed);
        if (session === national) expect(listed.length).toBeGreaterThan(0);
        if (session === gp) expect(listed.map((r) => r['Province Code'])).not.toContain('LP');
      }
    },
  );

  it('q matches names containing it anywhere, not only surnames starting with it', async () => {
    const exported = await exportRows(gp, [['q', 'kwe']]);
    expect(exported.map((r) => `${r['First Names']} ${r.Surname}`).sort()).toEqual([
      'Kwena Dlamini',
      'Lerato Sekwele',
      'Mpho Mokwena',
      'Thabo Mokwena',
    ]);
  });

  it('status with two values selects the members of either status', async () => {
    const exported = await exportRows(national, [['status', 'active,expired']]);
    expect(exported.map((r) => r['ID Number']).sort()).toEqual(
      PEOPLE.flatMap(([, , , status], i) =>
        status === 'active' || status === 'expired' ? [idNumberOf(i)] : [],
      ).sort(),
    );
  });

  it.each<[string, Query, string]>([
    ['q of two characters', [['q', 'ab']], 'q'],
    ['q of 101 characters', [['q', 'a'.repeat(101)]], 'q'],
    ['an unknown status', [['status', 'bogus']], 'status'],
    ['an unknown status among known ones', [['status', 'active,bogus']], 'status'],
    ['an empty status', [['status', '']], 'status'],
    ['an impossible date', [['expiresFrom', '2024-02-30']], 'expiresFrom'],
    ['a date not in YYYY-MM-DD', [['joinedTo', '2024-1-5']], 'joinedTo'],
    ['a date with a time', [['joinedFrom', '2024-01-05T00:00:00Z']], 'joinedFrom'],
    ['a malformed ward code', [['wardCode', '123']], 'wardCode'],
  ])('%s: the same 400 problem on the list and the export', async (_name, query, field) => {
    const problemOf = async (path: string): Promise<Record<string, unknown>> => {
      const res = await ctx.app
        .http()
        .get(`${path}?${search(query)}`)
        .set(...bearer(gp));
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      const {
        instance: _instance,
        requestId: _requestId,
        ...problem
      } = res.body as Record<string, unknown>;
      return problem;
    };
    const list = await problemOf('/api/v1/members');
    expect(list).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect((list.errors as { field: string }[]).map((e) => e.field)).toContain(field);
    expect(await problemOf('/api/v1/members/export')).toEqual(list);
  });
});
