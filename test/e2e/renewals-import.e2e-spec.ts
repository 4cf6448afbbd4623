import { bearer, createUser, loginAsSuperAdmin, TestUser } from '../harness/auth.js';
import { insertMembers, makeIdNumber } from '../harness/member-rows.js';
import { WARDS } from '../harness/members.js';
import { startTestContext, TestContext } from '../harness/test-app.js';

interface Job {
  id: string;
  status: string;
  totalRows: number;
  validRows: number;
  insertedRows: number;
  rejectedRows: number;
  duplicateRows: number;
  dryRun: boolean;
  error: string | null;
}

const HEADER = ['ID Number', 'Amount', 'Paid On', 'Reference', 'Method'];

function csv(rows: string[][]): Buffer {
  return Buffer.from(
    rows
      .map((r) => r.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(','))
      .join('\n'),
  );
}

/** RFC 4180 enough for the report: quoted cells with "" escapes, one record per line. */
function parseCsv(text: string): string[][] {
  const out: string[][] = [];
  for (const line of text
    .replace(/^\uFEFF/, '')
    .trim()
    .split(/\r?\n/)) {
    const cells: string[] = [];
    let cell = '';
    let quoted = false;
    for (let i = 0; i < line.length; i += 1) {
      const c = line[i]!;
      if (quoted) {
        if (c === '"' && line[i + 1] === '"') {
          cell += '"';
          i += 1;
        } else if (c === '"') quoted = false;
        else cell += c;
      } else if (c === '"') quoted = true;
      else if (c === ',') {
        cells.push(cell);
        cell = '';
      } else cell += c;
    }
    cells.push(cell);
    out.push(cells);
  }
  return out;
}

const daysAgo = (n: number): string =>
  new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);

describe('renewals import (e2e)', () => {
  let ctx: TestContext;
  let gp: TestUser;
  let finance: TestUser;
  const id = (n: number): string => makeIdNumber('1988-08-08', 600 + n);
  const ids = {
    a: id(1),
    b: id(2),
    c: id(3),
    sibling: id(4),
    lp: id(5),
    cancelled: id(6),
    unknown: id(7),
  };

  beforeAll(async () => {
    ctx = await startTestContext({
      STATUS_RECALC_CRON: 'off',
      AUTH_THROTTLE_LIMIT: '1000',
      IMPORT_BATCH_SIZE: '3',
    });
    const admin = await loginAsSuperAdmin(ctx.app);
    gp = await createUser(ctx.app, admin, 'provincial_admin', 'province', 'GP');
    finance = await createUser(ctx.app, admin, 'finance_officer', 'province', 'GP');
    await insertMembers(ctx.db.pool, [
      { idNumber: ids.a, wardCode: WARDS.own, status: 'expired', expiresOn: '2025-01-31' },
      { idNumber: ids.b, wardCode: WARDS.own, expiresOn: daysAgo(-30) },
      { idNumber: ids.c, wardCode: WARDS.own, expiresOn: daysAgo(-30) },
      { idNumber: ids.sibling, wardCode: WARDS.siblingWard, expiresOn: daysAgo(-30) },
      { idNumber: ids.lp, wardCode: WARDS.otherProvince, expiresOn: daysAgo(-30) },
      { idNumber: ids.cancelled, wardCode: WARDS.own, status: 'cancelled' },
    ]);
  });
  afterAll(() => ctx?.close());

  const http = () => ctx.app.http();

  async function upload(
    user: TestUser,
    file: Buffer,
    fields: Record<string, string>,
    name = 'renewals.csv',
  ): Promise<{ status: number; body: Job & { code?: string; detail?: string } }> {
    let req = http()
      .post('/api/v1/payments/imports')
      .set(...bearer(user));
    for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
    const res = await req.attach('file', file, name);
    return { status: res.status, body: res.body as Job & { code?: string } };
  }

  async function finished(user: TestUser, jobId: string): Promise<Job> {
    for (let i = 0; i < 300; i += 1) {
      const res = await http()
        .get(`/api/v1/payments/imports/${jobId}`)
        .set(...bearer(user));
      expect(res.status).toBe(200);
      const job = res.body as Job;
      if (job.status === 'completed' || job.status === 'failed') return job;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('import did not finish');
  }

  async function report(user: TestUser, jobId: string): Promise<Map<number, string[]>> {
    const res = await http()
      .get(`/api/v1/payments/imports/${jobId}/report?format=csv`)
      .set(...bearer(user))
      .expect(200);
    const [header, ...rows] = parseCsv(res.text);
    expect(header).toEqual([
      'Row',
      'Duplicate',
      'Reasons',
      'ID Number (last 4)',
      'Amount',
      'Paid On',
      'Reference',
      'Method',
    ]);
    return new Map(rows.map((r) => [Number(r[0]), r]));
  }

  const paymentsOf = async (idNumber: string) =>
    (
      await ctx.db.pool.query<{
        id: string;
        status: string;
        method: string;
        reference: string;
        amount_cents: number;
        paid_on: string;
        recorded_by: string;
        ward_code: string;
      }>(
        `SELECT p.id, p.status, p.method, p.reference, p.amount_cents, p.paid_on::text AS paid_on, p.recorded_by,
           p.ward_code
         FROM payments p JOIN members m ON m.id = p.member_id WHERE m.id_number = $1 ORDER BY p.reference`,
        [idNumber],
      )
    ).rows;

  it('serves the template', async () => {
    const res = await http()
      .get('/api/v1/payments/imports/template?format=csv')
      .set(...bearer(gp))
      .expect(200);
    expect(res.text).toContain(HEADER.join(','));
  });

  it('refuses a bad upload: no ward, unknown ward, ward outside the area, wrong header', async () => {
    const file = csv([HEADER, [ids.a, '10.00', daysAgo(1), 'X-1', 'cash']]);
    expect((await upload(gp, file, {})).status).toBe(400);
    const unknown = await upload(gp, file, { wardCode: '99999999' });
    expect(unknown.status).toBe(400);
    const outside = await upload(gp, file, { wardCode: WARDS.otherProvince });
    expect(outside.status).toBe(403);
    const header = await upload(
      gp,
      csv([
        ['ID Number', 'Amount'],
        [ids.a, '10'],
      ]),
      {
        wardCode: WARDS.own,
      },
    );
    expect(header.status).toBe(400);
    const { rows } = await ctx.db.pool.query(
      "SELECT count(*)::int AS n FROM import_jobs WHERE kind = 'renewals'",
    );
    expect(rows[0]).toEqual({ n: 0 });
  });

  it('records pending payments for good rows and rejects each bad row with its reason', async () => {
    // an EFT reference already in the database
    const [c] = (
      await ctx.db.pool.query<{ id: string }>('SELECT id FROM members WHERE id_number = $1', [
        ids.c,
      ])
    ).rows;
    await http()
      .post('/api/v1/payments')
      .set(...bearer(gp))
      .send({ memberId: c!.id, method: 'eft', paidOn: daysAgo(3), reference: 'DUP-DB' })
      .expect(201);
    const tomorrow = daysAgo(-2);
    const file = csv([
      HEADER,
      [ids.a, '10.00', daysAgo(5), 'REN-1', 'cash'], // 2 ok
      [ids.b, 'R 25,50', daysAgo(4), 'REN-2', 'EFT'], // 3 ok
      [ids.unknown, '10', daysAgo(4), 'REN-3', 'cash'], // 4 unknown member
      [ids.lp, '10', daysAgo(4), 'REN-4', 'cash'], // 5 member outside the area
      [ids.sibling, '10', daysAgo(4), 'REN-5', 'cash'], // 6 another ward than declared
      [ids.c, '10', daysAgo(4), 'DUP-DB', 'eft'], // 7 reference in the database
      [ids.c, '10', daysAgo(4), 'REN-1', 'cash'], // 8 reference on row 2
      [ids.c, 'ten', daysAgo(4), 'REN-8', 'cash'], // 9 bad amount
      [ids.c, '0', daysAgo(4), 'REN-9', 'cash'], // 10 zero amount
      [ids.c, '10', tomorrow, 'REN-10', 'cash'], // 11 future date
      [ids.c, '10', '2026-02-30', 'REN-11', 'cash'], // 12 not a date
      [ids.c, '10', daysAgo(4), 'REN-12', 'cheque'], // 13 unknown method
      [ids.c, '10', daysAgo(4), 'REN-13', 'card'], // 14 card
      ['12345', '10', daysAgo(4), 'REN-14', 'cash'], // 15 not an ID number
      [ids.cancelled, '10', daysAgo(4), 'REN-15', 'cash'], // 16 cancelled member
      [ids.c, '12.5', daysAgo(2), 'REN-16', 'external'], // 17 ok
    ]);
    const up = await upload(gp, file, { wardCode: WARDS.own });
    expect(up.status).toBe(202);
    const job = await finished(gp, up.body.id);
    expect(job).toMatchObject({
      status: 'completed',
      totalRows: 16,
      validRows: 3,
      insertedRows: 3,
      rejectedRows: 13,
      duplicateRows: 2,
      error: null,
    });

    const rejected = await report(gp, job.id);
    const reasons = (row: number): string => rejected.get(row)?.[2] ?? 'not rejected';
    expect([...rejected.keys()].sort((x, y) => x - y)).toEqual([
      4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
    ]);
    const unknownReason = 'idNumber: no member with this ID number in your area';
    expect(reasons(4)).toBe(unknownReason);
    // outside the area: word for word the same as unknown, nothing about where the member is
    expect(reasons(5)).toBe(unknownReason);
    expect(reasons(6)).toBe(
      `idNumber: the member is in ward ${WARDS.siblingWard}, not in the file's ward ${WARDS.own}`,
    );
    expect(reasons(7)).toBe('reference: a eft payment with this reference is already recorded');
    expect(rejected.get(7)?.[1]).toMatch(/true|yes/i);
    expect(reasons(8)).toBe('reference: the same cash reference is on row 2 of this file');
    expect(rejected.get(8)?.[1]).toMatch(/true|yes/i);
    expect(reasons(9)).toContain('amount: not an amount in rands');
    expect(reasons(10)).toBe('amount: must be more than zero');
    expect(reasons(11)).toBe('paidOn: may not be in the future');
    expect(reasons(12)).toBe('paidOn: not a date (YYYY-MM-DD)');
    expect(reasons(13)).toBe('method: one of cash, eft, external');
    expect(reasons(14)).toBe('method: card payments come only through the checkout');
    expect(reasons(15)).toBe('idNumber: not a 13-digit ID number');
    expect(reasons(16)).toBe('idNumber: a member who is cancelled cannot pay a renewal');
    // POPIA: ID numbers masked to their last four digits
    expect(rejected.get(5)?.[3]).toBe(`*********${ids.lp.slice(-4)}`);
    const text = [...rejected.values()].flat().join(' ');
    for (const full of Object.values(ids)) expect(text).not.toContain(full);
    expect(text).not.toContain(WARDS.otherProvince);

    expect(await paymentsOf(ids.a)).toEqual([
      expect.objectContaining({
        status: 'pending',
        method: 'cash',
        reference: 'REN-1',
        amount_cents: 1000,
        paid_on: daysAgo(5),
        recorded_by: gp.userId,
        ward_code: WARDS.own,
      }),
    ]);
    expect(await paymentsOf(ids.b)).toEqual([
      expect.objectContaining({ status: 'pending', method: 'eft', amount_cents: 2550 }),
    ]);
    expect((await paymentsOf(ids.c)).map((p) => [p.reference, p.amount_cents])).toEqual([
      ['DUP-DB', 1000],
      ['REN-16', 1250],
    ]);
    expect(await paymentsOf(ids.lp)).toEqual([]);
    expect(await paymentsOf(ids.sibling)).toEqual([]);
    // history (as POST /payments writes it) and one audit event per province and batch
    const history = await ctx.db.pool.query(
      `SELECT h.details FROM member_history h JOIN members m ON m.id = h.member_id
       WHERE m.id_number = $1 AND h.kind = 'payment'`,
      [ids.a],
    );
    expect(history.rows).toEqual([
      {
        details: expect.objectContaining({
          event: 'recorded',
          status: 'pending',
          reference: 'REN-1',
          importId: job.id,
        }),
      },
    ]);
    const audit = await ctx.db.pool.query<{ n: number }>(
      `SELECT coalesce(sum((changes->>'count')::int), 0)::int AS n FROM audit_events
       WHERE action = 'payments.imported' AND changes->>'importId' = $1`,
      [job.id],
    );
    expect(audit.rows[0]?.n).toBe(3);
    // nothing renewed yet: member a is still expired
    const before = await ctx.db.pool.query(
      'SELECT status, expires_on::text AS e FROM members WHERE id_number = $1',
      [ids.a],
    );
    expect(before.rows[0]).toEqual({ status: 'expired', e: '2025-01-31' });

    // the same file again: the same job
    const again = await upload(gp, file, { wardCode: WARDS.own }, 'copy.csv');
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(job.id);
  });

  it('imported payments verify into renewals (four eyes: not by the uploader)', async () => {
    const [payment] = await paymentsOf(ids.a);
    expect(payment?.status).toBe('pending');
    await http()
      .post(`/api/v1/payments/${payment!.id}/verify`)
      .set(...bearer(gp))
      .expect(403);
    const verified = await http()
      .post(`/api/v1/payments/${payment!.id}/verify`)
      .set(...bearer(finance))
      .expect(200);
    expect(verified.body).toMatchObject({ status: 'verified', renewalId: expect.any(String) });
    const after = await ctx.db.pool.query(
      `SELECT m.status, m.expires_on > current_date AS current, r.reference
       FROM members m JOIN member_renewals r ON r.member_id = m.id WHERE m.id_number = $1`,
      [ids.a],
    );
    expect(after.rows).toEqual([
      { status: 'active', current: true, reference: `payment:${payment!.id}` },
    ]);
  });

  it('a dry run counts without recording; the job is 404 outside the uploader’s area', async () => {
    const file = csv([HEADER, [ids.b, '10', daysAgo(1), 'DRY-1', 'cash']]);
    const up = await upload(gp, file, { wardCode: WARDS.own, dryRun: 'true' });
    expect(up.status).toBe(202);
    const job = await finished(gp, up.body.id);
    expect(job).toMatchObject({ status: 'completed', dryRun: true, insertedRows: 1 });
    expect((await paymentsOf(ids.b)).map((p) => p.reference)).toEqual(['REN-2']);
    const admin = await loginAsSuperAdmin(ctx.app);
    const lp = await createUser(ctx.app, admin, 'provincial_admin', 'province', 'LP');
    await http()
      .get(`/api/v1/payments/imports/${job.id}`)
      .set(...bearer(lp))
      .expect(404);
    await http()
      .get(`/api/v1/payments/imports/${job.id}/report`)
      .set(...bearer(lp))
      .expect(404);
    // a member import job is not a renewals job
    const list = await http()
      .get('/api/v1/payments/imports')
      .set(...bearer(gp))
      .expect(200);
    expect((list.body.data as Job[]).map((j) => j.id)).toContain(job.id);
    // nor is it in the list of an admin of another province
    const lpList = await http()
      .get('/api/v1/payments/imports')
      .set(...bearer(lp))
      .expect(200);
    expect((lpList.body.data as Job[]).map((j) => j.id)).not.toContain(job.id);
  });

  it('resumes a failed import after the last committed batch, nothing recorded twice', async () => {
    // a batch fails once (the trigger stands in for a crash or a lost connection mid-import)
    await ctx.db.pool.query(`
      CREATE FUNCTION renewals_boom() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.reference = 'RES-BOOM' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER renewals_boom BEFORE INSERT ON payments FOR EACH ROW EXECUTE FUNCTION renewals_boom();`);
    const rows = [
      [ids.b, '10', daysAgo(1), 'RES-1', 'cash'], // batch 1 (rows 2-4)
      [ids.b, '10', daysAgo(1), 'RES-2', 'cash'],
      [ids.b, '10', daysAgo(1), 'RES-3', 'cash'],
      [ids.c, '10', daysAgo(1), 'RES-4', 'cash'], // batch 2 (rows 5-7)
      [ids.c, '10', daysAgo(1), 'RES-BOOM', 'cash'],
      [ids.c, '10', daysAgo(1), 'RES-6', 'cash'],
      [ids.c, '10', daysAgo(1), 'RES-1', 'cash'], // batch 3: repeats row 2, committed before the failure
    ];
    const up = await upload(gp, csv([HEADER, ...rows]), { wardCode: WARDS.own });
    expect(up.status).toBe(202);
    const failed = await finished(gp, up.body.id);
    expect(failed).toMatchObject({ status: 'failed', insertedRows: 3, totalRows: 3 });
    await ctx.db.pool.query(
      'DROP TRIGGER renewals_boom ON payments; DROP FUNCTION renewals_boom()',
    );
    await http()
      .post(`/api/v1/payments/imports/${failed.id}/retry`)
      .set(...bearer(gp))
      .expect(202);
    const job = await finished(gp, failed.id);
    expect(job).toMatchObject({
      status: 'completed',
      totalRows: 7,
      insertedRows: 6,
      rejectedRows: 1,
      duplicateRows: 1,
    });
    const rejected = await report(gp, job.id);
    expect(rejected.get(8)?.[2]).toBe(
      'reference: the same cash reference is on row 2 of this file',
    );
    const { rows: written } = await ctx.db.pool.query<{ reference: string; n: number }>(
      `SELECT reference, count(*)::int AS n FROM payments WHERE reference LIKE 'RES-%'
       GROUP BY reference ORDER BY reference`,
    );
    expect(written).toEqual(
      ['RES-1', 'RES-2', 'RES-3', 'RES-4', 'RES-6', 'RES-BOOM'].map((reference) => ({
        reference,
        n: 1,
      })),
    );
  });
});
