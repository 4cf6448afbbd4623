import { randomBytes } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import type { Response } from 'supertest';
import { bearer, createUser, loginAsSuperAdmin, Session, TestUser } from '../harness/auth.js';
import { createMember, WARDS } from '../harness/members.js';
import { startTestContext, TestContext } from '../harness/test-app.js';

type Row = Record<string, string>;

function csvRows(text: string): Row[] {
  return parse<Row>(text, { bom: true, columns: true });
}

async function xlsxRows(body: Buffer): Promise<Row[]> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(body as never);
  const sheet = wb.worksheets[0];
  if (!sheet) return [];
  const headers: string[] = [];
  sheet.getRow(1).eachCell((cell, col) => (headers[col] = cell.text));
  const rows: Row[] = [];
  sheet.eachRow((row, n) => {
    if (n === 1) return;
    const out: Row = {};
    headers.forEach((h, col) => (out[h] = row.getCell(col).text));
    rows.push(out);
  });
  return rows;
}

/**
 * The finance views (libs/payments/src/finance): the verification queue, totals by month and method (SQL
 * aggregate, verified only by default) and the renewal forecast, inside the caller's area, paged and exported
 * as CSV/XLSX through libs/files' table writer (parsed back here).
 */
describe('finance views (e2e)', () => {
  let t: TestContext;
  let admin: Session;
  let financeDistrict: TestUser;
  let financeNational: TestUser;
  let wardAdmin: TestUser;
  const members: Record<string, string> = {};

  const http = () => t.app.http();
  const ref = (): string => `FV-${randomBytes(6).toString('hex')}`;
  const binary = (r: NodeJS.ReadableStream, cb: (e: Error | null, b: Buffer) => void): void => {
    const chunks: Buffer[] = [];
    r.on('data', (c: Buffer) => chunks.push(c));
    r.on('end', () => cb(null, Buffer.concat(chunks)));
  };
  const get = (session: Session, url: string) =>
    http()
      .get(url)
      .set(...bearer(session));
  const getXlsx = (session: Session, url: string) =>
    http()
      .get(url)
      .set(...bearer(session))
      .buffer(true)
      .parse(binary as never);

  async function pay(
    place: keyof typeof WARDS,
    body: { method?: string; paidOn: string; amountCents: number },
    decide?: 'verify' | 'reject',
  ): Promise<string> {
    const res = await http()
      .post('/api/v1/payments')
      .set(...bearer(admin))
      .send({ memberId: members[place], method: 'cash', reference: ref(), ...body })
      .expect(201);
    const id = (res.body as { id: string }).id;
    if (decide)
      await http()
        .post(`/api/v1/payments/${id}/${decide}`)
        .set(...bearer(financeNational))
        .send(decide === 'reject' ? { reason: 'Not on the statement' } : {})
        .expect(200);
    return id;
  }

  beforeAll(async () => {
    t = await startTestContext({ STATUS_RECALC_CRON: 'off', AUTH_THROTTLE_LIMIT: '1000' });
    admin = await loginAsSuperAdmin(t.app);
    financeDistrict = await createUser(t.app, admin, 'finance_officer', 'district', 'DC42');
    financeNational = await createUser(t.app, admin, 'finance_officer', 'national', null);
    wardAdmin = await createUser(t.app, admin, 'ward_admin', 'ward', WARDS.own);
    for (const place of Object.keys(WARDS) as (keyof typeof WARDS)[])
      members[place] = (
        await createMember(t.app, admin, { wardCode: WARDS[place], surname: `Fin${place}` })
      ).id;
  }, 120_000);
  afterAll(() => t?.close());

  describe('GET /finance/pending-payments', () => {
    it('pages the pending payments of the area oldest first, filters by area, 404 outside, exports them', async () => {
      const ownA = await pay('own', { paidOn: '2025-05-02', amountCents: 1000 });
      const sibling = await pay('siblingWard', { paidOn: '2025-05-03', amountCents: 1000 });
      const ownB = await pay('own', { paidOn: '2025-05-04', amountCents: 1000 });
      await pay('own', { paidOn: '2025-05-05', amountCents: 1000 }, 'verify');
      const lp = await pay('otherProvince', { paidOn: '2025-05-06', amountCents: 1000 });

      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: Response = await get(
          financeDistrict,
          `/api/v1/finance/pending-payments?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
        ).expect(200);
        const body = res.body as {
          data: { id: string; status: string }[];
          nextCursor: string | null;
        };
        expect(body.data.length).toBeLessThanOrEqual(1);
        for (const p of body.data) {
          expect(p.status).toBe('pending');
          seen.push(p.id);
        }
        cursor = body.nextCursor;
      } while (cursor);
      expect(seen).toEqual([ownA, sibling, ownB]);

      const ward = await get(
        financeDistrict,
        `/api/v1/finance/pending-payments?areaLevel=ward&areaCode=${WARDS.own}`,
      ).expect(200);
      expect((ward.body as { data: { id: string }[] }).data.map((p) => p.id)).toEqual([ownA, ownB]);
      const national = await get(financeNational, '/api/v1/finance/pending-payments').expect(200);
      expect((national.body as { data: { id: string }[] }).data.map((p) => p.id)).toContain(lp);

      for (const url of [
        `/api/v1/finance/pending-payments?areaLevel=ward&areaCode=${WARDS.otherProvince}`,
        '/api/v1/finance/pending-payments?areaLevel=province&areaCode=LP',
        '/api/v1/finance/pending-payments?areaLevel=national',
        '/api/v1/finance/pending-payments?areaLevel=ward&areaCode=99999999',
      ])
        expect((await get(financeDistrict, url)).status).toBe(404);
      for (const url of [
        '/api/v1/finance/pending-payments?areaCode=GP',
        '/api/v1/finance/pending-payments?areaLevel=province',
        '/api/v1/finance/pending-payments?areaLevel=county&areaCode=GP',
        '/api/v1/finance/pending-payments?cursor=nonsense',
        '/api/v1/finance/pending-payments?limit=0',
      ]) {
        const res = await get(financeDistrict, url);
        expect({ url, status: res.status }).toEqual({ url, status: 400 });
        expect((res.body as { code: string }).code).toBeDefined();
      }

      const csv = await get(financeDistrict, '/api/v1/finance/pending-payments/export').expect(200);
      expect(csv.headers['content-type']).toContain('text/csv');
      expect(csvRows(csv.text).map((r) => r['Payment Id'])).toEqual([ownA, sibling, ownB]);
      const xlsx = await getXlsx(
        financeDistrict,
        `/api/v1/finance/pending-payments/export?format=xlsx&areaLevel=ward&areaCode=${WARDS.own}`,
      ).expect(200);
      const rows = await xlsxRows(xlsx.body as Buffer);
      expect(rows.map((r) => r['Payment Id'])).toEqual([ownA, ownB]);
      expect(rows[0]).toMatchObject({
        Method: 'cash',
        'Amount (cents)': '1000',
        'Paid On': '2025-05-02',
      });
      expect(
        (
          await get(
            financeDistrict,
            '/api/v1/finance/pending-payments/export?areaLevel=province&areaCode=LP',
          )
        ).status,
      ).toBe(404);
    });
  });

  describe('GET /finance/totals', () => {
    it('sums verified payments by month and method inside the area; status=all adds the others; exports the rows', async () => {
      await pay('own', { paidOn: '2024-03-05', amountCents: 1_000 }, 'verify');
      await pay('siblingWard', { paidOn: '2024-03-25', amountCents: 2_500 }, 'verify');
      await pay('own', { paidOn: '2024-03-28', method: 'eft', amountCents: 4_000 }, 'verify');
      await pay('siblingMunicipality', { paidOn: '2024-04-01', amountCents: 700 }, 'verify');
      await pay('own', { paidOn: '2024-04-02', amountCents: 900 });
      await pay('own', { paidOn: '2024-04-03', amountCents: 300 }, 'reject');
      await pay('siblingDistrict', { paidOn: '2024-04-04', amountCents: 50_000 }, 'verify');
      await pay('otherProvince', { paidOn: '2024-04-05', amountCents: 60_000 }, 'verify');
      const period = 'from=2024-01-01&to=2024-12-31';

      const district = await get(financeDistrict, `/api/v1/finance/totals?${period}`).expect(200);
      expect(district.body).toEqual({
        areaLevel: 'district',
        areaCode: 'DC42',
        from: '2024-01-01',
        to: '2024-12-31',
        rows: [
          { month: '2024-03', method: 'cash', status: 'verified', count: 2, amountCents: 3_500 },
          { month: '2024-03', method: 'eft', status: 'verified', count: 1, amountCents: 4_000 },
          { month: '2024-04', method: 'cash', status: 'verified', count: 1, amountCents: 700 },
        ],
      });
      const ward = await get(
        financeDistrict,
        `/api/v1/finance/totals?${period}&areaLevel=ward&areaCode=${WARDS.own}&status=all`,
      ).expect(200);
      expect((ward.body as { rows: unknown[] }).rows).toEqual([
        { month: '2024-03', method: 'cash', status: 'verified', count: 1, amountCents: 1_000 },
        { month: '2024-03', method: 'eft', status: 'verified', count: 1, amountCents: 4_000 },
        { month: '2024-04', method: 'cash', status: 'pending', count: 1, amountCents: 900 },
        { month: '2024-04', method: 'cash', status: 'rejected', count: 1, amountCents: 300 },
      ]);
      const lp = await get(
        financeNational,
        `/api/v1/finance/totals?${period}&areaLevel=province&areaCode=LP`,
      ).expect(200);
      expect((lp.body as { rows: unknown[] }).rows).toEqual([
        { month: '2024-04', method: 'cash', status: 'verified', count: 1, amountCents: 60_000 },
      ]);
      expect(
        (
          await get(
            financeDistrict,
            `/api/v1/finance/totals?${period}&areaLevel=province&areaCode=LP`,
          )
        ).status,
      ).toBe(404);
      expect(
        (
          await get(
            financeDistrict,
            `/api/v1/finance/totals?${period}&areaLevel=province&areaCode=GP`,
          )
        ).status,
      ).toBe(404);
      for (const bad of [
        'from=2024-05-01&to=2024-04-01',
        'from=2020-01-01&to=2024-01-01',
        'from=2024-02-30',
        'status=lost',
      ])
        expect((await get(financeDistrict, `/api/v1/finance/totals?${bad}`)).status).toBe(400);

      const csv = await get(financeDistrict, `/api/v1/finance/totals/export?${period}`).expect(200);
      expect(csvRows(csv.text)).toEqual([
        {
          Month: '2024-03',
          Method: 'cash',
          Status: 'verified',
          Count: '2',
          'Amount (cents)': '3500',
        },
        {
          Month: '2024-03',
          Method: 'eft',
          Status: 'verified',
          Count: '1',
          'Amount (cents)': '4000',
        },
        {
          Month: '2024-04',
          Method: 'cash',
          Status: 'verified',
          Count: '1',
          'Amount (cents)': '700',
        },
      ]);
      const xlsx = await getXlsx(
        financeDistrict,
        `/api/v1/finance/totals/export?${period}&format=xlsx`,
      ).expect(200);
      expect(await xlsxRows(xlsx.body as Buffer)).toEqual(csvRows(csv.text));
      expect(
        (await get(financeDistrict, '/api/v1/finance/totals/export?from=2024-05-01&to=2024-04-01'))
          .status,
      ).toBe(400);
      const audit = await t.db.pool.query<{ changes: Record<string, unknown> }>(
        "SELECT changes FROM audit_events WHERE action = 'finance.exported' AND actor_user_id = $1 AND changes->>'view' = 'payment_totals'",
        [financeDistrict.userId],
      );
      expect(audit.rows.map((r) => r.changes.format).sort()).toEqual(['csv', 'xlsx']);
    });
  });

  describe('GET /finance/renewal-forecast', () => {
    beforeAll(async () => {
      const expiring: [keyof typeof WARDS, number][] = [
        ['own', 5],
        ['own', 40],
        ['siblingWard', 20],
        ['siblingMunicipality', 70],
        ['siblingDistrict', 10],
        ['otherProvince', 10],
      ];
      await t.db.pool.query(`UPDATE members SET expires_on = current_date + 400`);
      for (const [place, days] of expiring) {
        const m = await createMember(t.app, admin, {
          wardCode: WARDS[place],
          surname: `Due${days}`,
          cellNumber: '0821234567',
        });
        members[`${place}${days}`] = m.id;
        await t.db.pool.query(
          'UPDATE members SET expires_on = current_date + $2::int WHERE id = $1',
          [m.id, days],
        );
      }
    });

    it('counts members expiring in 30/60/90 days per child area inside the area', async () => {
      const f30 = await get(financeDistrict, '/api/v1/finance/renewal-forecast').expect(200);
      expect(f30.body).toMatchObject({
        areaLevel: 'district',
        areaCode: 'DC42',
        days: 30,
        total: 2,
        areas: [{ level: 'municipality', code: 'GT421', count: 2 }],
      });
      const f90 = await get(financeDistrict, '/api/v1/finance/renewal-forecast?days=90').expect(
        200,
      );
      expect(f90.body).toMatchObject({
        total: 4,
        areas: [
          { level: 'municipality', code: 'GT421', count: 3 },
          { level: 'municipality', code: 'GT422', count: 1 },
        ],
      });
      const municipality = await get(
        financeDistrict,
        '/api/v1/finance/renewal-forecast?days=60&areaLevel=municipality&areaCode=GT421',
      ).expect(200);
      expect((municipality.body as { areas: unknown[] }).areas).toEqual([
        { level: 'ward', code: WARDS.own, count: 2 },
        { level: 'ward', code: WARDS.siblingWard, count: 1 },
      ]);
      const national = await get(financeNational, '/api/v1/finance/renewal-forecast').expect(200);
      expect(national.body).toMatchObject({ total: 4 });
      expect((national.body as { areas: { code: string }[] }).areas.map((a) => a.code)).toEqual([
        'GP',
        'LP',
      ]);
      expect((await get(financeDistrict, '/api/v1/finance/renewal-forecast?days=45')).status).toBe(
        400,
      );
      expect(
        (
          await get(
            financeDistrict,
            '/api/v1/finance/renewal-forecast?areaLevel=district&areaCode=JHB',
          )
        ).status,
      ).toBe(404);
    });

    it('pages the members due, minimised for finance officers, and exports them', async () => {
      const seen: { id: string; cellNumber?: unknown; minimised?: boolean }[] = [];
      let cursor: string | null = null;
      do {
        const res: Response = await get(
          financeDistrict,
          `/api/v1/finance/renewal-forecast/members?days=90&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        ).expect(200);
        const body = res.body as { data: typeof seen; nextCursor: string | null };
        seen.push(...body.data);
        cursor = body.nextCursor;
      } while (cursor);
      expect(seen.map((m) => m.id)).toEqual([
        members.own5,
        members.siblingWard20,
        members.own40,
        members.siblingMunicipality70,
      ]);
      for (const m of seen) {
        expect(m.minimised).toBe(true);
        expect(m).not.toHaveProperty('cellNumber');
      }
      const ward = await get(wardAdmin, '/api/v1/finance/renewal-forecast/members?days=90').expect(
        200,
      );
      const wardData = (ward.body as { data: { id: string; cellNumber: string }[] }).data;
      expect(wardData.map((m) => m.id)).toEqual([members.own5, members.own40]);
      expect(wardData[0]?.cellNumber).toBe('+27821234567');

      const csv = await get(
        financeDistrict,
        '/api/v1/finance/renewal-forecast/export?days=90',
      ).expect(200);
      const rows = csvRows(csv.text);
      expect(rows.map((r) => r.Surname)).toEqual(['Due5', 'Due20', 'Due40', 'Due70']);
      expect(Object.keys(rows[0] ?? {})).not.toContain('Cell Number');
      const xlsx = await getXlsx(
        wardAdmin,
        '/api/v1/finance/renewal-forecast/export?days=30&format=xlsx',
      ).expect(200);
      expect(await xlsxRows(xlsx.body as Buffer)).toEqual([
        expect.objectContaining({
          Surname: 'Due5',
          'Cell Number': '+27821234567',
          'Ward Code': WARDS.own,
        }),
      ]);
    });
  });
});
