import { bearer, loginAsSuperAdmin, Session } from '../harness/auth.js';
import { validIdNumber, withBadCheckDigit, WARDS } from '../harness/members.js';
import { startTestContext, TestContext } from '../harness/test-app.js';

/** Import columns in the template's order; a case's body uses the same names as POST /members. */
const COLUMNS = [
  ['idNumber', 'ID Number'],
  ['firstNames', 'First Names'],
  ['surname', 'Surname'],
  ['cellNumber', 'Cell Number'],
  ['email', 'Email'],
  ['residentialAddress', 'Residential Address'],
  ['wardCode', 'Ward Code'],
  ['joinedOn', 'Joined On'],
  ['lastPaidOn', 'Last Paid On'],
  ['consentGiven', 'Consent Given'],
] as const;

const saToday = (): string =>
  new Intl.DateTimeFormat('en-CA', { timeZone: 'Africa/Johannesburg' }).format(new Date());

function shift(date: string, { months = 0, days = 0 }: { months?: number; days?: number }): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const lastDay = new Date(Date.UTC(y, m + months, 0)).getUTCDate();
  return new Date(Date.UTC(y, m - 1 + months, Math.min(d, lastDay) + days))
    .toISOString()
    .slice(0, 10);
}

function csv(body: Record<string, unknown>): Buffer {
  const cell = (v: unknown): string => {
    const s = typeof v === 'string' ? v : v === true ? 'yes' : v === false ? 'no' : '';
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return Buffer.from(
    `${COLUMNS.map(([, header]) => header).join(',')}\n` +
      `${COLUMNS.map(([field]) => cell(body[field])).join(',')}\n`,
  );
}

interface Case {
  name: string;
  body: Record<string, unknown>;
  /** For an invalid input: the fields both paths must name. */
  fields?: string[];
}

/** What both paths must store alike (the ID number, hence date of birth, differs between the two members). */
const STORED = `SELECT status, to_char(joined_on, 'YYYY-MM-DD') AS "joinedOn",
    to_char(last_paid_on, 'YYYY-MM-DD') AS "lastPaidOn", to_char(expires_on, 'YYYY-MM-DD') AS "expiresOn",
    gender, citizenship, first_names AS "firstNames", surname, cell_number AS "cellNumber", email,
    residential_address AS "residentialAddress", ward_code AS "wardCode", municipality_code AS "municipalityCode",
    district_code AS "districtCode", province_code AS "provinceCode", consent_given_at IS NOT NULL AS consent
  FROM members WHERE id_number = $1`;

describe('#16.1 one definition of a new member: POST /members and a one-row import agree', () => {
  let ctx: TestContext;
  let admin: Session;
  const today = saToday();

  // A configured period and grace other than the defaults: both paths must follow the configuration.
  beforeAll(async () => {
    ctx = await startTestContext({ MEMBERSHIP_PERIOD_MONTHS: '12', GRACE_PERIOD_DAYS: '30' });
    admin = await loginAsSuperAdmin(ctx.app);
  });
  afterAll(() => ctx?.close());

  const person = (change: Record<string, unknown> = {}): Record<string, unknown> => ({
    firstNames: 'Thandiwe Naledi',
    surname: 'Mokoena',
    wardCode: WARDS.own,
    ...change,
  });

  const CASES: Case[] = [
    { name: 'no dates: joined today, paid on joining', body: person() },
    {
      name: 'no payment date, joined long ago: paid on joining, expired',
      body: person({ joinedOn: '2021-03-01' }),
    },
    {
      name: 'no payment date, joined inside the grace period',
      body: person({ joinedOn: shift(today, { months: -12, days: -10 }) }),
    },
    {
      name: 'paid recently',
      body: person({ joinedOn: '2020-01-15', lastPaidOn: shift(today, { days: -100 }) }),
    },
    { name: 'joined and paid today', body: person({ joinedOn: today, lastPaidOn: today }) },
    {
      name: 'paid before joining (not a rule)',
      body: person({
        joinedOn: shift(today, { days: -10 }),
        lastPaidOn: shift(today, { days: -40 }),
      }),
    },
    {
      name: 'contact details normalised, consent refused',
      body: person({
        cellNumber: '082 123 4567',
        email: ' Thandi@Example.org ',
        residentialAddress: '12  Vilakazi Street',
        consentGiven: false,
      }),
    },
    {
      name: 'future joinedOn',
      body: person({ joinedOn: shift(today, { days: 1 }) }),
      fields: ['joinedOn'],
    },
    {
      name: 'future lastPaidOn',
      body: person({ joinedOn: '2024-01-01', lastPaidOn: shift(today, { days: 1 }) }),
      fields: ['lastPaidOn'],
    },
    {
      name: 'future joinedOn and lastPaidOn',
      body: person({ joinedOn: shift(today, { days: 3 }), lastPaidOn: shift(today, { days: 2 }) }),
      fields: ['joinedOn', 'lastPaidOn'],
    },
    { name: 'joinedOn not a date', body: person({ joinedOn: '2024-02-30' }), fields: ['joinedOn'] },
    {
      name: 'lastPaidOn not a date',
      body: person({ lastPaidOn: '2024-3-1' }),
      fields: ['lastPaidOn'],
    },
    {
      name: 'ID number with a bad check digit',
      body: person({ idNumber: 'bad-check-digit' }),
      fields: ['idNumber'],
    },
    {
      name: 'ID number of 14 digits',
      body: person({ idNumber: '80010150090871' }),
      fields: ['idNumber'],
    },
    {
      name: 'missing first names',
      body: person({ firstNames: undefined }),
      fields: ['firstNames'],
    },
    { name: 'missing surname', body: person({ surname: undefined }), fields: ['surname'] },
    {
      name: 'missing names',
      body: person({ firstNames: undefined, surname: undefined }),
      fields: ['firstNames', 'surname'],
    },
    { name: 'not a cell number', body: person({ cellNumber: '12345' }), fields: ['cellNumber'] },
    { name: 'not an email', body: person({ email: 'not-an-email' }), fields: ['email'] },
    { name: 'malformed ward code', body: person({ wardCode: '7420100' }), fields: ['wardCode'] },
    { name: 'no such ward', body: person({ wardCode: '99999999' }), fields: ['wardCode'] },
    {
      name: 'control character in a name',
      body: person({ surname: 'Mok\u0007oena' }),
      fields: ['surname'],
    },
  ];

  /** A fresh ID number per path (the two members must not collide); an invalid one is the same on both. */
  function withId(body: Record<string, unknown>): Record<string, unknown> {
    const out = { ...body };
    if (out.idNumber === undefined) out.idNumber = validIdNumber({ born: '900415', female: true });
    else if (out.idNumber === 'bad-check-digit') out.idNumber = withBadCheckDigit(validIdNumber());
    for (const key of Object.keys(out)) if (out[key] === undefined) delete out[key];
    return out;
  }

  async function viaCreate(body: Record<string, unknown>) {
    const res = await ctx.app
      .http()
      .post('/api/v1/members')
      .set(...bearer(admin))
      .send(body);
    if (res.status === 201) {
      const { rows } = await ctx.db.pool.query(STORED, [body.idNumber]);
      return { valid: true, stored: rows[0] as unknown, fields: [] as string[] };
    }
    expect(res.status).toBe(400);
    const errors = (res.body as { errors?: { field: string }[] }).errors ?? [];
    return { valid: false, stored: null, fields: [...new Set(errors.map((e) => e.field))].sort() };
  }

  async function viaImport(body: Record<string, unknown>) {
    const upload = await ctx.app
      .http()
      .post('/api/v1/members/imports')
      .set(...bearer(admin))
      .attach('file', csv(body), 'one-row.csv');
    expect(upload.status).toBe(202);
    const id = (upload.body as { id: string }).id;
    let job: { status: string; insertedRows: number; rejectedRows: number } | undefined;
    for (let i = 0; i < 300; i += 1) {
      const res = await ctx.app
        .http()
        .get(`/api/v1/members/imports/${id}`)
        .set(...bearer(admin));
      job = res.body as typeof job;
      if (job?.status === 'completed' || job?.status === 'failed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(job?.status).toBe('completed');
    if (job?.insertedRows === 1) {
      const { rows } = await ctx.db.pool.query(STORED, [body.idNumber]);
      return { valid: true, stored: rows[0] as unknown, fields: [] as string[] };
    }
    expect(job?.rejectedRows).toBe(1);
    const { rows } = await ctx.db.pool.query<{ reasons: string[] }>(
      'SELECT reasons FROM member_import_rejections WHERE job_id = $1',
      [id],
    );
    const reasons = rows[0]?.reasons ?? [];
    const fields = reasons.map((r) => r.slice(0, r.indexOf(':')));
    return { valid: false, stored: null, fields: [...new Set(fields)].sort() };
  }

  it.each(CASES.map((c) => [c.name, c] as const))(
    '%s',
    async (_name, c) => {
      const created = await viaCreate(withId(c.body));
      const imported = await viaImport(withId(c.body));
      expect(imported).toEqual(created);
      if (c.fields) {
        expect(created).toMatchObject({ valid: false, fields: c.fields });
      } else {
        expect(created.valid).toBe(true);
      }
    },
    30_000,
  );

  it('stores the documented rule: no payment date means paid on joining, with the configured period', async () => {
    const body = withId(person({ joinedOn: shift(today, { months: -12, days: -10 }) }));
    const imported = await viaImport(body);
    expect(imported.stored).toMatchObject({
      status: 'grace_period',
      lastPaidOn: body.joinedOn,
      expiresOn: shift(String(body.joinedOn), { months: 12 }),
    });
  });
});
