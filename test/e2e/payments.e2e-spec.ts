import { randomBytes } from 'node:crypto';
import { bearer, createUser, loginAsSuperAdmin, Session, TestUser } from '../harness/auth.js';
import { createMember, insertApplication, MemberBody, WARDS } from '../harness/members.js';
import { startTestContext, TestContext } from '../harness/test-app.js';

/**
 * Payments: recording, the four-eyes rule, a renewal only after verification, concurrent verifications, bad input
 * with nothing written, manual renewals for national admins only, and payments in the POPIA data export.
 */
describe('payments (e2e)', () => {
  let t: TestContext;
  let admin: Session;
  let wardAdmin: TestUser;
  let otherWardAdmin: TestUser;
  let financeGp: TestUser;
  let financeLp: TestUser;
  let provincialAdmin: TestUser;
  let auditor: TestUser;

  const http = () => t.app.http();
  const today = (): string => new Date().toISOString().slice(0, 10);
  const ref = (): string => `R-${randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    t = await startTestContext({ STATUS_RECALC_CRON: 'off', AUTH_THROTTLE_LIMIT: '1000' });
    admin = await loginAsSuperAdmin(t.app);
    wardAdmin = await createUser(t.app, admin, 'ward_admin', 'ward', WARDS.own);
    otherWardAdmin = await createUser(t.app, admin, 'ward_admin', 'ward', WARDS.own);
    financeGp = await createUser(t.app, admin, 'finance_officer', 'province', 'GP');
    financeLp = await createUser(t.app, admin, 'finance_officer', 'province', 'LP');
    provincialAdmin = await createUser(t.app, admin, 'provincial_admin', 'province', 'GP');
    auditor = await createUser(t.app, admin, 'auditor', 'province', 'GP');
  }, 120_000);
  afterAll(() => t?.close());

  /** An expired member in the own ward (paid three years ago). */
  async function expiredMember(): Promise<MemberBody> {
    const m = await createMember(t.app, admin, {
      wardCode: WARDS.own,
      joinedOn: '2022-01-10',
      lastPaidOn: '2022-01-10',
    });
    expect(m.status).toBe('expired');
    return m;
  }

  async function counts(memberId?: string): Promise<Record<string, number>> {
    const { rows } = await t.db.pool.query<Record<string, number>>(
      `SELECT (SELECT count(*) FROM payments)::int AS payments,
              (SELECT count(*) FROM member_renewals)::int AS renewals,
              (SELECT count(*) FROM member_history WHERE $1::uuid IS NULL OR member_id = $1)::int AS history,
              (SELECT count(*) FROM audit_events WHERE action LIKE 'payment.%')::int AS audit`,
      [memberId ?? null],
    );
    return rows[0] ?? {};
  }

  async function record(
    session: Session,
    body: Record<string, unknown>,
    status = 201,
  ): Promise<{ id: string; status: string; recordedBy: string }> {
    const res = await http()
      .post('/api/v1/payments')
      .set(...bearer(session))
      .send(body)
      .expect(status);
    return res.body as { id: string; status: string; recordedBy: string };
  }

  async function memberRow(
    id: string,
  ): Promise<{ status: string; expires_on: string; last_paid_on: string }> {
    const { rows } = await t.db.pool.query<{
      status: string;
      expires_on: string;
      last_paid_on: string;
    }>(
      `SELECT status, to_char(expires_on, 'YYYY-MM-DD') AS expires_on,
              to_char(last_paid_on, 'YYYY-MM-DD') AS last_paid_on FROM members WHERE id = $1`,
      [id],
    );
    if (!rows[0]) throw new Error('no member');
    return rows[0];
  }

  it('applies a renewal only when a second user verifies the payment (four eyes)', async () => {
    const m = await expiredMember();
    const before = await memberRow(m.id);
    const paidOn = today();
    const payment = await record(wardAdmin, {
      memberId: m.id,
      method: 'cash',
      paidOn,
      reference: ref(),
    });
    expect(payment).toMatchObject({ status: 'pending', recordedBy: wardAdmin.userId });
    // recorded, but nothing changed for the member yet
    expect(await memberRow(m.id)).toEqual(before);
    const { rows: renewals } = await t.db.pool.query(
      'SELECT 1 FROM member_renewals WHERE member_id = $1',
      [m.id],
    );
    expect(renewals).toHaveLength(0);

    // the recorder may not verify or reject their own payment
    const snapshot = await counts(m.id);
    const own = await http()
      .post(`/api/v1/payments/${payment.id}/verify`)
      .set(...bearer(wardAdmin))
      .expect(403);
    expect(own.body.detail).toMatch(/Four eyes/);
    await http()
      .post(`/api/v1/payments/${payment.id}/reject`)
      .set(...bearer(wardAdmin))
      .send({ reason: 'mine' })
      .expect(403);
    // a verifier whose scope does not cover the payment: 403 (and cannot read it: 404)
    await http()
      .post(`/api/v1/payments/${payment.id}/verify`)
      .set(...bearer(financeLp))
      .expect(403);
    await http()
      .get(`/api/v1/payments/${payment.id}`)
      .set(...bearer(financeLp))
      .expect(404);
    // an auditor reads but may not verify
    await http()
      .get(`/api/v1/payments/${payment.id}`)
      .set(...bearer(auditor))
      .expect(200);
    await http()
      .post(`/api/v1/payments/${payment.id}/verify`)
      .set(...bearer(auditor))
      .expect(403);
    expect(await counts(m.id)).toEqual(snapshot);
    expect(await memberRow(m.id)).toEqual(before);

    // a finance officer of the province verifies: the renewal takes effect in the same transaction
    const verified = await http()
      .post(`/api/v1/payments/${payment.id}/verify`)
      .set(...bearer(financeGp))
      .expect(200);
    expect(verified.body).toMatchObject({
      status: 'verified',
      decidedBy: financeGp.userId,
      decidedVia: 'user',
    });
    const after = await memberRow(m.id);
    // the members' rule: the later of the old expiry (long past) and paidOn + MEMBERSHIP_PERIOD_MONTHS (24)
    const { rows: rule } = await t.db.pool.query<{ e: string }>(
      `SELECT to_char($1::date + interval '24 months', 'YYYY-MM-DD') AS e`,
      [paidOn],
    );
    expect(after).toEqual({ status: 'active', last_paid_on: paidOn, expires_on: rule[0]?.e });
    const { rows: written } = await t.db.pool.query<{ id: string; reference: string }>(
      'SELECT id, reference FROM member_renewals WHERE member_id = $1',
      [m.id],
    );
    expect(written).toEqual([{ id: verified.body.renewalId, reference: `payment:${payment.id}` }]);

    // re-verifying or rejecting a decided payment: 409, nothing written
    const decided = await counts(m.id);
    const again = await http()
      .post(`/api/v1/payments/${payment.id}/verify`)
      .set(...bearer(otherWardAdmin))
      .expect(409);
    expect(again.body.code).toBe('INVALID_STATUS_TRANSITION');
    await http()
      .post(`/api/v1/payments/${payment.id}/reject`)
      .set(...bearer(otherWardAdmin))
      .send({ reason: 'late' })
      .expect(409);
    expect(await counts(m.id)).toEqual(decided);

    // the member's history shows the payment recorded and verified, and the renewal
    const history = await http()
      .get(`/api/v1/members/${m.id}/history`)
      .set(...bearer(admin))
      .expect(200);
    const kinds = (history.body.data as { kind: string; details: { event?: string } | null }[]).map(
      (h) => (h.kind === 'payment' ? `payment.${h.details?.event}` : h.kind),
    );
    expect(kinds).toEqual(
      expect.arrayContaining(['payment.recorded', 'payment.verified', 'renewed']),
    );
    const { rows: audit } = await t.db.pool.query<{ action: string; actor_user_id: string }>(
      `SELECT action, actor_user_id FROM audit_events WHERE entity_id = $1 ORDER BY occurred_at`,
      [payment.id],
    );
    expect(audit).toEqual([
      { action: 'payment.recorded', actor_user_id: wardAdmin.userId },
      { action: 'payment.verified', actor_user_id: financeGp.userId },
    ]);
  });

  it('changes nothing for the member when a payment is rejected', async () => {
    const m = await expiredMember();
    const before = await memberRow(m.id);
    const payment = await record(financeGp, {
      memberId: m.id,
      method: 'eft',
      paidOn: today(),
      reference: ref(),
    });
    await http()
      .post(`/api/v1/payments/${payment.id}/reject`)
      .set(...bearer(wardAdmin))
      .send({})
      .expect(400);
    const rejected = await http()
      .post(`/api/v1/payments/${payment.id}/reject`)
      .set(...bearer(wardAdmin))
      .send({ reason: 'No such deposit on the statement' })
      .expect(200);
    expect(rejected.body).toMatchObject({
      status: 'rejected',
      rejectionReason: 'No such deposit on the statement',
    });
    expect(await memberRow(m.id)).toEqual(before);
    await http()
      .post(`/api/v1/payments/${payment.id}/verify`)
      .set(...bearer(provincialAdmin))
      .expect(409);
  });

  it('of concurrent verifications of one payment exactly one wins', async () => {
    const m = await expiredMember();
    const payment = await record(wardAdmin, {
      memberId: m.id,
      method: 'eft',
      paidOn: today(),
      reference: ref(),
    });
    const verifiers = [financeGp, otherWardAdmin, provincialAdmin, admin, financeGp];
    const results = await Promise.all(
      verifiers.map((v) =>
        http()
          .post(`/api/v1/payments/${payment.id}/verify`)
          .set(...bearer(v)),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409]);
    const { rows } = await t.db.pool.query('SELECT 1 FROM member_renewals WHERE member_id = $1', [
      m.id,
    ]);
    expect(rows).toHaveLength(1);
  });

  it('keeps references unique per method (409) and accepts the same reference for another method', async () => {
    const m = await expiredMember();
    const reference = ref();
    await record(wardAdmin, { memberId: m.id, method: 'eft', paidOn: today(), reference });
    const before = await counts();
    const dup = await record(
      financeGp,
      { memberId: m.id, method: 'eft', paidOn: today(), reference },
      409,
    );
    expect((dup as unknown as { code: string }).code).toBe('CONFLICT');
    expect(await counts()).toEqual(before);
    await record(wardAdmin, { memberId: m.id, method: 'cash', paidOn: today(), reference });
  });

  it('answers bad input with a 400 problem and writes nothing', async () => {
    const m = await expiredMember();
    const tomorrow = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    const application = await insertApplication(t.db.pool, WARDS.own);
    const good = { memberId: m.id, method: 'cash', paidOn: today(), reference: ref() };
    const cases: [string, Record<string, unknown>, string][] = [
      ['zero amount', { ...good, amountCents: 0 }, 'amountCents'],
      ['negative amount', { ...good, amountCents: -500 }, 'amountCents'],
      ['non-integer cents', { ...good, amountCents: 10.5 }, 'amountCents'],
      ['over R100,000', { ...good, amountCents: 10_000_001 }, 'amountCents'],
      ['impossible date', { ...good, paidOn: '2025-02-30' }, 'paidOn'],
      ['reference too long', { ...good, reference: 'R'.repeat(65) }, 'reference'],
      ['reference with a control character', { ...good, reference: 'R-1\u0000' }, 'reference'],
      ['member id not a uuid', { ...good, memberId: 'not-a-uuid' }, 'memberId'],
      ['amount as a string', { ...good, amountCents: 'R10' }, 'amountCents'],
      ['future paidOn', { ...good, paidOn: tomorrow }, 'paidOn'],
      ['not a date', { ...good, paidOn: '01/02/2025' }, 'paidOn'],
      ['unknown method', { ...good, method: 'bitcoin' }, 'method'],
      ['card by hand', { ...good, method: 'card' }, 'method'],
      ['no reference', { ...good, reference: undefined }, 'reference'],
      ['both subjects', { ...good, applicationId: application }, 'memberId'],
      ['no subject', { ...good, memberId: undefined }, 'memberId'],
      ['unknown field', { ...good, status: 'verified' }, 'status'],
    ];
    const before = await counts();
    for (const [name, body, field] of cases) {
      const res = await http()
        .post('/api/v1/payments')
        .set(...bearer(wardAdmin))
        .send(body);
      expect({ name, status: res.status }).toEqual({ name, status: 400 });
      const fields = [
        ...((res.body.errors as { field: string }[] | undefined) ?? []).map((e) => e.field),
        res.body.field,
      ];
      expect({
        name,
        hit: fields.some((f) => typeof f === 'string' && f.startsWith(field)),
      }).toEqual({ name, hit: true });
    }
    expect(await counts()).toEqual(before);
  });

  it('records a joining fee for an application and verifies it', async () => {
    const application = await insertApplication(t.db.pool, WARDS.own);
    const payment = await record(wardAdmin, {
      applicationId: application,
      method: 'cash',
      paidOn: today(),
      reference: ref(),
    });
    const lp = await insertApplication(t.db.pool, WARDS.otherProvince);
    await record(
      wardAdmin,
      { applicationId: lp, method: 'cash', paidOn: today(), reference: ref() },
      404,
    );
    const verified = await http()
      .post(`/api/v1/payments/${payment.id}/verify`)
      .set(...bearer(financeGp))
      .expect(200);
    expect(verified.body).toMatchObject({ status: 'verified', applicationId: application });
  });

  it('lists the pending payments of my area only', async () => {
    const m = await expiredMember();
    const lpMember = await createMember(t.app, admin, { wardCode: WARDS.otherProvince });
    const mine = await record(wardAdmin, {
      memberId: m.id,
      method: 'cash',
      paidOn: today(),
      reference: ref(),
    });
    const theirs = await record(admin, {
      memberId: lpMember.id,
      method: 'cash',
      paidOn: today(),
      reference: ref(),
    });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { data: { id: string; status: string }[]; nextCursor: string | null } } =
        await http()
          .get('/api/v1/payments')
          .query({ status: 'pending', limit: 2, ...(cursor ? { cursor } : {}) })
          .set(...bearer(financeGp))
          .expect(200);
      expect(res.body.data.every((p) => p.status === 'pending')).toBe(true);
      seen.push(...res.body.data.map((p) => p.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toContain(mine.id);
    expect(seen).not.toContain(theirs.id);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('keeps the old renewal route only as an audited manual renewal for national admins', async () => {
    const m = await expiredMember();
    await http()
      .post(`/api/v1/members/${m.id}/renewals`)
      .set(...bearer(provincialAdmin))
      .send({ paidOn: today(), reference: ref(), reason: 'Paid at the rally' })
      .expect(403);
    await http()
      .post(`/api/v1/members/${m.id}/renewals`)
      .set(...bearer(financeGp))
      .send({ paidOn: today(), reference: ref(), reason: 'Paid at the rally' })
      .expect(403);
    const noReason = await http()
      .post(`/api/v1/members/${m.id}/renewals`)
      .set(...bearer(admin))
      .send({ paidOn: today(), reference: ref() })
      .expect(400);
    expect(noReason.body.code).toBe('VALIDATION_FAILED');
    expect((await memberRow(m.id)).status).toBe('expired');
    await http()
      .post(`/api/v1/members/${m.id}/renewals`)
      .set(...bearer(admin))
      .send({
        paidOn: today(),
        reference: ref(),
        reason: 'Receipt book lost; confirmed by the treasurer',
      })
      .expect(201);
    const { rows } = await t.db.pool.query<{ changes: { reason: string } }>(
      `SELECT changes FROM audit_events WHERE entity_id = $1 AND action = 'member.manual_renewal'`,
      [m.id],
    );
    expect(rows.map((r) => r.changes.reason)).toEqual([
      'Receipt book lost; confirmed by the treasurer',
    ]);
  });

  it('lists the payments in the POPIA data export', async () => {
    const m = await expiredMember();
    const payment = await record(wardAdmin, {
      memberId: m.id,
      method: 'external',
      paidOn: today(),
      reference: ref(),
    });
    const res = await http()
      .get(`/api/v1/members/${m.id}/data-export`)
      .set(...bearer(admin))
      .expect(200);
    expect((res.body.payments as { id: string }[]).map((p) => p.id)).toEqual([payment.id]);
  });
});
