import { randomBytes, randomInt } from 'node:crypto';
import { bearer, createUser, loginAsSuperAdmin, Session, TestUser } from '../harness/auth.js';
import { createMember, WARDS } from '../harness/members.js';
import { startTestContext, TestContext } from '../harness/test-app.js';

const RETENTION_DAYS = 30;

function uniqueWord(prefix: string): string {
  let word = prefix;
  for (let i = 0; i < 8; i += 1) word += String.fromCharCode(97 + randomInt(0, 26));
  return word;
}

/** POPIA erasure scrubs the member's payments (reference, note, rejection reason) and keeps their totals. */
describe('payments: POPIA erasure (e2e)', () => {
  let t: TestContext;
  let admin: Session;
  let verifier: TestUser;

  const http = () => t.app.http();
  const today = (): string => new Date().toISOString().slice(0, 10);

  beforeAll(async () => {
    t = await startTestContext({
      MEMBER_RETENTION_DAYS: String(RETENTION_DAYS),
      STATUS_RECALC_CRON: 'off',
      AUTH_THROTTLE_LIMIT: '1000',
    });
    admin = await loginAsSuperAdmin(t.app);
    verifier = await createUser(t.app, admin, 'finance_officer', 'national', null);
  }, 120_000);
  afterAll(() => t?.close());

  /** Rows of any of these tables whose text holds `value` (case-insensitive). */
  async function occurrences(values: string[]): Promise<string[]> {
    const found: string[] = [];
    for (const table of ['payments', 'audit_events', 'member_history', 'member_renewals']) {
      for (const value of values) {
        const { rows } = await t.db.pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM "${table}" x WHERE position(lower($1) IN lower(x::text)) > 0`,
          [value],
        );
        if ((rows[0]?.n ?? 0) > 0) found.push(`${table}: ${value}`);
      }
    }
    return found;
  }

  async function totals(memberId: string): Promise<unknown[]> {
    const { rows } = await t.db.pool.query(
      `SELECT method, status, count(*)::int AS n, sum(amount_cents)::int AS cents
         FROM payments WHERE member_id = $1 GROUP BY 1, 2 ORDER BY 1, 2`,
      [memberId],
    );
    return rows;
  }

  it('replaces the reference with erased:<id>, drops the note, scrubs the reason, history and audit; totals (GET /finance/totals) stay', async () => {
    const surname = uniqueWord('Mokoena');
    const member = await createMember(t.app, admin, {
      wardCode: WARDS.own,
      surname,
      joinedOn: '2022-01-10',
      lastPaidOn: '2022-01-10',
    });
    const reference = `DEP ${surname} ${randomBytes(3).toString('hex')}`;
    const note = `Deposited by ${uniqueWord('Thabo')} at the branch office`;
    const rejectedReference = `EFT-${uniqueWord('ref')}`;
    const verified = await http()
      .post('/api/v1/payments')
      .set(...bearer(admin))
      .send({
        memberId: member.id,
        method: 'cash',
        paidOn: today(),
        reference,
        note,
        amountCents: 12_000,
      })
      .expect(201);
    await http()
      .post(`/api/v1/payments/${verified.body.id as string}/verify`)
      .set(...bearer(verifier))
      .expect(200);
    const rejected = await http()
      .post('/api/v1/payments')
      .set(...bearer(admin))
      .send({ memberId: member.id, method: 'eft', paidOn: today(), reference: rejectedReference })
      .expect(201);
    await http()
      .post(`/api/v1/payments/${rejected.body.id as string}/reject`)
      .set(...bearer(verifier))
      .send({ reason: `No deposit from ${surname} on the statement` })
      .expect(200);
    await http()
      .post(`/api/v1/members/${member.id}/status`)
      .set(...bearer(admin))
      .send({ action: 'cancel', reason: 'Resigned from the party' })
      .expect(200);
    await t.db.pool.query(
      `UPDATE member_history SET created_at = created_at - make_interval(days => $2) WHERE member_id = $1`,
      [member.id, RETENTION_DAYS + 1],
    );

    const needles = [reference, note, rejectedReference];
    expect(await occurrences(needles)).toEqual(
      expect.arrayContaining([`payments: ${reference}`, `payments: ${note}`]),
    );
    const before = await totals(member.id);
    expect(before).toHaveLength(2);
    const financeTotals = async (): Promise<unknown> =>
      (
        await http()
          .get(`/api/v1/finance/totals?status=all&areaLevel=ward&areaCode=${WARDS.own}`)
          .set(...bearer(verifier))
          .expect(200)
      ).body;
    const viewBefore = await financeTotals();
    expect((viewBefore as { rows: unknown[] }).rows).toHaveLength(2);

    await http()
      .post(`/api/v1/members/${member.id}/erasure`)
      .set(...bearer(admin))
      .expect(200);

    expect(await occurrences([...needles, surname])).toEqual([]);
    const { rows } = await t.db.pool.query<{
      id: string;
      reference: string;
      note: string | null;
      rejection_reason: string | null;
      status: string;
    }>(
      'SELECT id, reference, note, rejection_reason, status FROM payments WHERE member_id = $1 ORDER BY created_at',
      [member.id],
    );
    expect(rows).toEqual([
      {
        id: verified.body.id,
        reference: `erased:${verified.body.id as string}`,
        note: null,
        rejection_reason: null,
        status: 'verified',
      },
      {
        id: rejected.body.id,
        reference: `erased:${rejected.body.id as string}`,
        note: null,
        rejection_reason: 'No deposit from [ERASED] on the statement',
        status: 'rejected',
      },
    ]);
    expect(await totals(member.id)).toEqual(before);
    expect(await financeTotals()).toEqual(viewBefore);
  });
});
