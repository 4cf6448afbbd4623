import ExcelJS from 'exceljs';
import { bearer, createUser, loginAsSuperAdmin, TestUser } from '../harness/auth.js';
import { insertMembers, makeIdNumber, WardRow, wardsOf } from '../harness/member-rows.js';
import { startTestContext, TestContext } from '../harness/test-app.js';

interface Job {
  id: string;
  status: string;
  totalRows: number;
  validRows: number;
  insertedRows: number;
  updatedRows: number;
  rejectedRows: number;
  duplicateRows: number;
  dryRun: boolean;
  committedThroughRow: number;
  error: string | null;
}

const recent = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);

function csv(rows: string[][]): Buffer {
  return Buffer.from(
    rows
      .map((r) => r.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(','))
      .join('\n'),
  );
}

async function xlsx(rows: ExcelJS.CellValue[][]): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('Register');
  for (const row of rows) sheet.addRow(row);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

describe('Member import (e2e)', () => {
  let ctx: TestContext;
  let gp: TestUser;
  let lp: TestUser;
  let gpWards: WardRow[];
  let lpWards: WardRow[];

  beforeAll(async () => {
    ctx = await startTestContext({ IMPORT_MAX_BYTES: '200000', IMPORT_BATCH_SIZE: '3' });
    const admin = await loginAsSuperAdmin(ctx.app);
    gp = await createUser(ctx.app, admin, 'provincial_admin', 'province', 'GP');
    lp = await createUser(ctx.app, admin, 'provincial_admin', 'province', 'LP');
    gpWards = await wardsOf(ctx.db.pool, 'GP');
    lpWards = await wardsOf(ctx.db.pool, 'LP');
  });
  afterAll(() => ctx?.close());

  async function upload(
    user: TestUser,
    file: Buffer,
    name: string,
    fields: Record<string, string> = {},
  ): Promise<{ status: number; body: Job & { code?: string } }> {
    let req = ctx.app
      .http()
      .post('/api/v1/members/imports')
      .set(...bearer(user));
    for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
    const res = await req.attach('file', file, name);
    return { status: res.status, body: res.body as Job & { code?: string } };
  }

  async function finished(user: TestUser, id: string): Promise<Job> {
    for (let i = 0; i < 200; i += 1) {
      const res = await ctx.app
        .http()
        .get(`/api/v1/members/imports/${id}`)
        .set(...bearer(user));
      expect(res.status).toBe(200);
      const job = res.body as Job;
      if (job.status === 'completed' || job.status === 'failed') return job;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('import did not finish');
  }

  it('serves the template as CSV and XLSX', async () => {
    const res = await ctx.app
      .http()
      .get('/api/v1/members/imports/template?format=csv')
      .set(...bearer(gp));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/csv/);
    expect(res.text).toContain('ID Number,First Names,Surname,Cell Number');
    const x = await ctx.app
      .http()
      .get('/api/v1/members/imports/template?format=xlsx')
      .set(...bearer(gp))
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
    expect(x.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(x.body as Buffer as never);
    expect(wb.worksheets[0]?.getRow(1).getCell(1).value).toBe('ID Number');
  });

  it('imports a CSV: valid rows written, invalid, out-of-scope and duplicate rows reported; re-upload is the same job', async () => {
    const ward = gpWards[0]!;
    const existing = makeIdNumber('1985-05-05', 11);
    await insertMembers(ctx.db.pool, [{ idNumber: existing, wardCode: ward.code }]);
    const ids = [
      makeIdNumber('1990-02-03', 1),
      makeIdNumber('1991-03-04', 2, 'male'),
      makeIdNumber('2001-07-08', 3),
    ];
    const file = csv([
      ['SA ID', 'Name', 'Last Name', 'Mobile', 'Ward', 'Last Paid', 'Branch notes'],
      [ids[0]!, 'Thandi', 'Mokoena', '082 123 4567', ward.code, recent, 'x'],
      [ids[1]!, 'Sipho', 'Dlamini', '', gpWards[1]!.code, '', ''],
      ['8001015009086', 'Bad', 'Checksum', '', ward.code, '', ''],
      [makeIdNumber('1980-01-01', 4), 'Out', 'Ofscope', '', lpWards[0]!.code, '', ''],
      [ids[0]!, 'Thandi', 'Again', '', ward.code, '', ''],
      [existing, 'Already', 'There', '', ward.code, '', ''],
      [ids[2]!, 'Lerato', 'Nkosi', '0831234567', ward.code, '2020-01-01', ''],
    ]);
    const first = await upload(gp, file, 'register.csv');
    expect(first.status).toBe(202);
    const job = await finished(gp, first.body.id);
    expect(job).toMatchObject({
      status: 'completed',
      totalRows: 7,
      validRows: 3,
      insertedRows: 3,
      updatedRows: 0,
      rejectedRows: 4,
      duplicateRows: 2,
      committedThroughRow: 8,
    });
    const { rows } = await ctx.db.pool.query<Record<string, unknown>>(
      `SELECT id_number, gender, to_char(date_of_birth, 'YYYY-MM-DD') AS dob, cell_number, ward_code, municipality_code,
         province_code, status, membership_number, created_by FROM members WHERE id_number = ANY($1) ORDER BY id_number`,
      [ids],
    );
    expect(rows).toHaveLength(3);
    const thandi = rows.find((r) => r.id_number === ids[0]);
    expect(thandi).toMatchObject({
      gender: 'female',
      dob: '1990-02-03',
      cell_number: '+27821234567',
      ward_code: ward.code,
      municipality_code: ward.municipality_code,
      province_code: 'GP',
      status: 'active',
      created_by: gp.userId,
    });
    expect(String(thandi?.membership_number)).toMatch(/^EFF\d{11}$/);
    // No payment date: paid on joining (today), as a single create.
    expect(rows.find((r) => r.id_number === ids[1])).toMatchObject({
      gender: 'male',
      status: 'active',
    });
    expect(rows.find((r) => r.id_number === ids[2])).toMatchObject({ status: 'expired' });

    const report = await ctx.app
      .http()
      .get(`/api/v1/members/imports/${job.id}/report?format=csv`)
      .set(...bearer(gp));
    expect(report.status).toBe(200);
    const lines = report.text
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\n');
    expect(lines).toHaveLength(5);
    expect(report.text).toContain('*********9086');
    expect(report.text).not.toContain('8001015009086');
    expect(report.text).toContain('outside your area');
    expect(report.text).toContain('same ID number is on row 2');
    expect(report.text).toContain('already a member in your area (membership number EFF');
    expect(report.text).not.toContain(lpWards[0]!.code + ' does not exist');

    const again = await upload(gp, file, 'register-copy.csv');
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(job.id);
    const count = await ctx.db.pool.query('SELECT count(*)::int AS n FROM members');
    expect(count.rows[0]).toEqual({ n: 4 });
  });

  it('dry run validates and counts but writes no member; XLSX with date and number cells imports', async () => {
    const ward = gpWards[2]!;
    const a = makeIdNumber('1970-10-10', 21);
    const b = makeIdNumber('2003-04-05', 22, 'male');
    const book = await xlsx([
      [
        'ID Number',
        'First Name(s)',
        'Surname',
        'Cellphone',
        'Ward Code',
        'Date Joined',
        'Last Payment',
      ],
      [
        a,
        'Nomsa',
        'Zulu',
        '0721234567',
        ward.code,
        new Date(Date.UTC(2023, 0, 5)),
        new Date(recent),
      ],
      [Number(b), 'Kagiso', 'Molefe', null, Number(ward.code), '2024-02-01', null],
      ['123', 'Bad', 'Id', null, ward.code, null, null],
    ]);
    const dry = await upload(gp, book, 'register.xlsx', { dryRun: 'true' });
    expect(dry.status).toBe(202);
    const dryJob = await finished(gp, dry.body.id);
    expect(dryJob).toMatchObject({
      status: 'completed',
      dryRun: true,
      totalRows: 3,
      insertedRows: 2,
      rejectedRows: 1,
    });
    const none = await ctx.db.pool.query(
      'SELECT count(*)::int AS n FROM members WHERE id_number = ANY($1)',
      [[a, b]],
    );
    expect(none.rows[0]).toEqual({ n: 0 });

    const real = await upload(gp, book, 'register.xlsx');
    expect(real.status).toBe(202);
    expect(real.body.id).not.toBe(dry.body.id);
    const job = await finished(gp, real.body.id);
    expect(job).toMatchObject({ status: 'completed', insertedRows: 2, rejectedRows: 1 });
    const { rows } = await ctx.db.pool.query<Record<string, unknown>>(
      `SELECT id_number, to_char(joined_on, 'YYYY-MM-DD') AS joined, status FROM members
       WHERE id_number = ANY($1) ORDER BY id_number`,
      [[a, b]],
    );
    expect(rows.find((r) => r.id_number === a)).toMatchObject({
      joined: '2023-01-05',
      status: 'active',
    });
    // No payment date: paid on joining, so the membership ran out on 2026-02-01 (grace ended 2026-05-02).
    expect(rows.find((r) => r.id_number === b)).toMatchObject({
      joined: '2024-02-01',
      status: 'expired',
    });

    const report = await ctx.app
      .http()
      .get(`/api/v1/members/imports/${job.id}/report?format=xlsx`)
      .set(...bearer(gp))
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
    expect(report.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(report.body as Buffer as never);
    expect(wb.worksheets[0]?.rowCount).toBe(2);
    expect(wb.worksheets[0]?.getRow(2).getCell(1).text).toBe('4');
  });

  it('upsert updates members inside the scope and refuses those outside it', async () => {
    const gpId = makeIdNumber('1988-08-08', 31);
    const lpId = makeIdNumber('1988-08-09', 32);
    await insertMembers(ctx.db.pool, [
      { idNumber: gpId, wardCode: gpWards[3]!.code, firstNames: 'Old', cellNumber: null },
      { idNumber: lpId, wardCode: lpWards[1]!.code, firstNames: 'Limpopo' },
    ]);
    const file = csv([
      ['id_number', 'first_names', 'surname', 'cell_number', 'ward_code', 'last_paid_on'],
      // A payment date is never changed by an import (#15.6): left blank here.
      [gpId, 'New', 'Member', '0821112222', gpWards[3]!.code, ''],
      [lpId, 'Hijack', 'Member', '', gpWards[3]!.code, ''],
    ]);
    const res = await upload(gp, file, 'upsert.csv', { mode: 'upsert' });
    expect(res.status).toBe(202);
    const job = await finished(gp, res.body.id);
    expect(job).toMatchObject({
      status: 'completed',
      updatedRows: 1,
      insertedRows: 0,
      rejectedRows: 1,
    });
    const { rows } = await ctx.db.pool.query<Record<string, unknown>>(
      'SELECT id_number, first_names, cell_number, status, version FROM members WHERE id_number = ANY($1)',
      [[gpId, lpId]],
    );
    expect(rows.find((r) => r.id_number === gpId)).toMatchObject({
      first_names: 'New',
      cell_number: '+27821112222',
      status: 'active',
      version: 2,
    });
    expect(rows.find((r) => r.id_number === lpId)).toMatchObject({
      first_names: 'Limpopo',
      version: 1,
    });
  });

  it('refuses what is not a spreadsheet, a truncated one, a bad header and a file over the cap', async () => {
    const png = Buffer.from([
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52,
    ]);
    const notSheet = await upload(gp, png, 'members.csv');
    expect(notSheet.status).toBe(415);
    expect(notSheet.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');

    const book = await xlsx([
      ['ID Number', 'First Names', 'Surname', 'Ward Code'],
      [makeIdNumber('1999-09-09', 41), 'A', 'B', gpWards[0]!.code],
    ]);
    const truncated = await upload(
      gp,
      book.subarray(0, Math.floor(book.length / 2)),
      'members.xlsx',
    );
    expect(truncated.status).toBe(400);
    expect(truncated.body.code).toBe('VALIDATION_FAILED');

    const header = await upload(
      gp,
      csv([
        ['Name', 'Phone'],
        ['A', '1'],
      ]),
      'members.csv',
    );
    expect(header.status).toBe(400);
    expect(JSON.stringify(header.body)).toContain('idNumber');

    const missing = await ctx.app
      .http()
      .post('/api/v1/members/imports')
      .set(...bearer(gp))
      .field('mode', 'create');
    expect(missing.status).toBe(400);

    const big = Buffer.alloc(300_000, 'a,b,c\n');
    const tooLarge = await upload(gp, big, 'big.csv');
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.code).toBe('PAYLOAD_TOO_LARGE');
    const jobs = await ctx.db.pool.query(
      "SELECT count(*)::int AS n FROM member_import_jobs WHERE file_name = 'big.csv'",
    );
    expect(jobs.rows[0]).toEqual({ n: 0 });
  });

  it('lists and shows imports only inside the caller’s scope', async () => {
    const mine = await ctx.app
      .http()
      .get('/api/v1/members/imports?limit=2')
      .set(...bearer(gp));
    expect(mine.status).toBe(200);
    const page = mine.body as { data: Job[]; nextCursor: string | null };
    expect(page.data).toHaveLength(2);
    expect(page.nextCursor).toBeTruthy();
    const next = await ctx.app
      .http()
      .get(`/api/v1/members/imports?limit=2&cursor=${page.nextCursor}`)
      .set(...bearer(gp));
    expect(next.status).toBe(200);
    expect((next.body as { data: Job[] }).data[0]?.id).not.toBe(page.data[1]?.id);
    const theirs = await ctx.app
      .http()
      .get('/api/v1/members/imports')
      .set(...bearer(lp));
    expect((theirs.body as { data: Job[] }).data).toHaveLength(0);
    const peek = await ctx.app
      .http()
      .get(`/api/v1/members/imports/${page.data[0]!.id}`)
      .set(...bearer(lp));
    expect(peek.status).toBe(404);
    const report = await ctx.app
      .http()
      .get(`/api/v1/members/imports/${page.data[0]!.id}/report`)
      .set(...bearer(lp));
    expect(report.status).toBe(404);
  });

  it('counts finished imports and reports members by status in /metrics', async () => {
    const scrape = async (): Promise<string> =>
      (await ctx.app.http().get('/metrics').expect(200)).text;
    const completed = (text: string): number =>
      Number(/^eff_imports_total\{status="completed"\} (\d+)$/m.exec(text)?.[1] ?? 0);
    const before = completed(await scrape());
    const file = csv([
      ['ID Number', 'First Names', 'Surname', 'Ward'],
      [makeIdNumber('1979-09-09', 21), 'Metric', 'Counted', gpWards[0]!.code],
    ]);
    const { status, body } = await upload(gp, file, 'metrics.csv');
    expect(status).toBe(202);
    expect((await finished(gp, body.id)).status).toBe('completed');

    // The import refreshes the statistics views; eff_members then sums them by status.
    const { rows } = await ctx.db.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM members WHERE anonymised_at IS NULL',
    );
    let text = '';
    let total = -1;
    for (let i = 0; i < 100 && total !== rows[0]!.n; i += 1) {
      if (i > 0) await new Promise((r) => setTimeout(r, 100));
      text = await scrape();
      total = [...text.matchAll(/^eff_members\{status="[a-z_]+"\} (\d+)$/gm)].reduce(
        (sum, m) => sum + Number(m[1]),
        0,
      );
    }
    expect(total).toBe(rows[0]!.n);
    expect(completed(text)).toBe(before + 1);
  });
});
