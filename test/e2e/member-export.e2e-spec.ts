import ExcelJS from 'exceljs';
import { bearer, createUser, loginAsSuperAdmin, TestUser } from '../harness/auth.js';
import { insertMembers, makeIdNumber, wardsOf } from '../harness/member-rows.js';
import { startTestContext, TestContext } from '../harness/test-app.js';

function parseCsv(text: string): Record<string, string>[] {
  const [header, ...lines] = text
    .replace(/^\uFEFF/, '')
    .trim()
    .split('\n');
  const columns = (header ?? '').split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(columns.map((c, i) => [c, cells[i] ?? '']));
  });
}

describe('Member export (e2e)', () => {
  let ctx: TestContext;
  let gp: TestUser;
  let auditor: TestUser;
  const ids = {
    plain: makeIdNumber('1990-01-01', 1),
    objected: makeIdNumber('1990-01-02', 2),
    anonymised: makeIdNumber('1990-01-03', 3),
    expired: makeIdNumber('1990-01-04', 4, 'male'),
    limpopo: makeIdNumber('1990-01-05', 5),
  };

  beforeAll(async () => {
    ctx = await startTestContext();
    const admin = await loginAsSuperAdmin(ctx.app);
    gp = await createUser(ctx.app, admin, 'provincial_admin', 'province', 'GP');
    auditor = await createUser(ctx.app, admin, 'auditor', 'province', 'GP');
    const [gpWard] = await wardsOf(ctx.db.pool, 'GP', 1);
    const [lpWard] = await wardsOf(ctx.db.pool, 'LP', 1);
    await insertMembers(ctx.db.pool, [
      { idNumber: ids.plain, wardCode: gpWard!.code, surname: 'Mokoena', joinedOn: '2024-02-01' },
      { idNumber: ids.objected, wardCode: gpWard!.code, surname: 'Mathebe', contactObjected: true },
      { idNumber: ids.anonymised, wardCode: gpWard!.code, surname: 'Gone', anonymised: true },
      { idNumber: ids.expired, wardCode: gpWard!.code, surname: 'Dlamini', status: 'expired' },
      { idNumber: ids.limpopo, wardCode: lpWard!.code, surname: 'Mokoena' },
    ]);
  });
  afterAll(() => ctx?.close());

  it('exports the admin’s area as CSV, leaving out anonymised members and objectors’ contact details', async () => {
    const res = await ctx.app
      .http()
      .get('/api/v1/members/export?format=csv')
      .set(...bearer(gp));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/csv/);
    expect(res.headers['content-disposition']).toMatch(/attachment; filename="members-.*\.csv"/);
    const rows = parseCsv(res.text);
    expect(rows.map((r) => r['ID Number']).sort()).toEqual(
      [ids.plain, ids.objected, ids.expired].sort(),
    );
    const objected = rows.find((r) => r['ID Number'] === ids.objected);
    expect(objected?.['Cell Number']).toBe('');
    expect(objected?.Email).toBe('');
    const plain = rows.find((r) => r['ID Number'] === ids.plain);
    expect(plain?.['Cell Number']).toBe('+27821234567');
    expect(plain?.Email).toBe(`m${ids.plain}@example.org`);
    expect(res.text).not.toContain(ids.limpopo);
    expect(res.text).not.toContain(ids.anonymised);

    const audit = await ctx.db.pool.query<{
      actor_user_id: string;
      changes: Record<string, unknown>;
    }>(
      "SELECT actor_user_id, changes FROM audit_events WHERE action = 'members.exported' ORDER BY occurred_at",
    );
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0]).toMatchObject({
      actor_user_id: gp.userId,
      changes: { format: 'csv', rows: 3, minimised: false },
    });
  });

  it('applies the list filters', async () => {
    const expired = await ctx.app
      .http()
      .get('/api/v1/members/export?status=expired')
      .set(...bearer(gp));
    expect(parseCsv(expired.text).map((r) => r['ID Number'])).toEqual([ids.expired]);
    const byName = await ctx.app
      .http()
      .get('/api/v1/members/export?q=mok')
      .set(...bearer(gp));
    expect(parseCsv(byName.text).map((r) => r['ID Number'])).toEqual([ids.plain]);
    const joined = await ctx.app
      .http()
      .get('/api/v1/members/export?joinedFrom=2024-02-01&joinedTo=2024-02-28')
      .set(...bearer(gp));
    expect(parseCsv(joined.text).map((r) => r['ID Number'])).toEqual([ids.plain]);
    const outside = await ctx.app
      .http()
      .get('/api/v1/members/export?provinceCode=LP')
      .set(...bearer(gp));
    expect(outside.status).toBe(200);
    expect(parseCsv(outside.text)).toHaveLength(0);
    const bad = await ctx.app
      .http()
      .get('/api/v1/members/export?status=bogus')
      .set(...bearer(gp));
    expect(bad.status).toBe(400);
    const audit = await ctx.db.pool.query(
      "SELECT changes FROM audit_events WHERE action = 'members.exported' AND changes->'filters'->>'q' = 'mok'",
    );
    expect(audit.rows).toHaveLength(1);
  });

  it('gives an auditor a minimised XLSX: no ID numbers, dates of birth or contact details', async () => {
    const res = await ctx.app
      .http()
      .get('/api/v1/members/export?format=xlsx')
      .set(...bearer(auditor))
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
    expect(res.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.body as never);
    const sheet = wb.worksheets[0]!;
    const headers = (sheet.getRow(1).values as unknown[]).filter(Boolean);
    expect(headers).toContain('Membership Number');
    for (const h of ['ID Number', 'Date of Birth', 'Cell Number', 'Email', 'Residential Address']) {
      expect(headers).not.toContain(h);
    }
    expect(sheet.rowCount).toBe(4);
    const cells: string[] = [];
    sheet.eachRow((row) => row.eachCell((cell) => cells.push(cell.text)));
    for (const id of Object.values(ids)) expect(cells).not.toContain(id);
    const audit = await ctx.db.pool.query<{ changes: Record<string, unknown> }>(
      "SELECT changes FROM audit_events WHERE action = 'members.exported' AND actor_user_id = $1",
      [auditor.userId],
    );
    expect(audit.rows[0]?.changes).toMatchObject({ format: 'xlsx', rows: 3, minimised: true });
  });
});
