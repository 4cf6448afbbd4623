import { bearer, createUser, loginAsSuperAdmin, Session, TestUser } from '../harness/auth.js';
import { createMember, MemberBody, WARDS } from '../harness/members.js';
import {
  PayFastCheckout,
  PayFastStandIn,
  startPayFastStandIn,
} from '../harness/payfast-stand-in.js';
import { startTestContext, TestContext } from '../harness/test-app.js';

const MERCHANT = {
  merchantId: '10000100',
  merchantKey: '46f0cd694581a',
  passphrase: 'jt7NOE43FZPn test passphrase',
};

/**
 * Card payments through PayFast's documented protocol, against a local stand-in (test/harness/payfast-stand-in.ts):
 * checkout -> signed ITN -> validate -> active member; tampered, forged, replayed and out-of-order notifications.
 */
describe('payments: PayFast gateway (e2e)', () => {
  let t: TestContext;
  let payfast: PayFastStandIn;
  let admin: Session;
  let wardAdmin: TestUser;

  const http = () => t.app.http();

  beforeAll(async () => {
    payfast = await startPayFastStandIn(MERCHANT);
    t = await startTestContext({
      STATUS_RECALC_CRON: 'off',
      AUTH_THROTTLE_LIMIT: '1000',
      PAYFAST_MERCHANT_ID: MERCHANT.merchantId,
      PAYFAST_MERCHANT_KEY: MERCHANT.merchantKey,
      PAYFAST_PASSPHRASE: MERCHANT.passphrase,
      PAYFAST_PROCESS_URL: payfast.processUrl,
      PAYFAST_VALIDATE_URL: payfast.validateUrl,
      PAYFAST_NOTIFY_URL: 'https://members.example.org/api/v1/payments/payfast/notifications',
      PAYFAST_SOURCE_RANGES: '127.0.0.1/32',
    });
    payfast.deliverTo(t.app.baseUrl);
    admin = await loginAsSuperAdmin(t.app);
    wardAdmin = await createUser(t.app, admin, 'ward_admin', 'ward', WARDS.own);
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await payfast?.close();
  });

  async function expiredMember(): Promise<MemberBody> {
    return createMember(t.app, admin, {
      wardCode: WARDS.own,
      joinedOn: '2022-03-01',
      lastPaidOn: '2022-03-01',
    });
  }

  async function checkout(
    memberId: string,
  ): Promise<{ paymentId: string; hosted: PayFastCheckout }> {
    const res = await http()
      .post('/api/v1/payments/checkouts')
      .set(...bearer(wardAdmin))
      .send({ memberId })
      .expect(201);
    const body = res.body as {
      payment: { id: string; status: string; method: string };
      processUrl: string;
      fields: Record<string, string>;
    };
    expect(body.payment).toMatchObject({ status: 'pending', method: 'card' });
    expect(body.processUrl).toBe(payfast.processUrl);
    expect(body.fields).toMatchObject({ amount: '10.00', custom_str1: body.payment.id });
    return { paymentId: body.payment.id, hosted: await payfast.pay(body.fields) };
  }

  async function state(memberId: string, paymentId: string) {
    const { rows } = await t.db.pool.query<{
      member_status: string;
      payment_status: string;
      renewals: number;
      audit: number;
    }>(
      `SELECT (SELECT status FROM members WHERE id = $1) AS member_status,
              (SELECT status::text FROM payments WHERE id = $2::uuid) AS payment_status,
              (SELECT count(*) FROM member_renewals WHERE member_id = $1)::int AS renewals,
              (SELECT count(*) FROM audit_events WHERE entity_id = $2::text)::int AS audit`,
      [memberId, paymentId],
    );
    return rows[0];
  }

  it('takes a member from checkout through a signed, validated ITN to active; a replay changes nothing', async () => {
    const m = await expiredMember();
    expect(m.status).toBe('expired');
    const { paymentId, hosted } = await checkout(m.id);
    expect(await state(m.id, paymentId)).toMatchObject({
      member_status: 'expired',
      payment_status: 'pending',
      renewals: 0,
    });

    const itn = await payfast.notify(hosted);
    expect(itn).toEqual({ status: 200, body: { outcome: 'applied' } });
    // the API confirmed the data with PayFast's validate endpoint
    expect(
      payfast.validations.some((v) => v.includes(`m_payment_id=${hosted.fields.m_payment_id}`)),
    ).toBe(true);
    const after = await state(m.id, paymentId);
    expect(after).toMatchObject({
      member_status: 'active',
      payment_status: 'verified',
      renewals: 1,
    });
    const payment = await http()
      .get(`/api/v1/payments/${paymentId}`)
      .set(...bearer(wardAdmin))
      .expect(200);
    expect(payment.body).toMatchObject({
      decidedVia: 'payfast',
      providerPaymentId: hosted.pfPaymentId,
      amountCents: 1000,
    });

    // PayFast repeats an ITN until it gets 200: the repeat is accepted and changes nothing
    expect(await payfast.notify(hosted)).toEqual({ status: 200, body: { outcome: 'repeat' } });
    expect(await state(m.id, paymentId)).toEqual(after);
    // a card payment is never verified by hand
    await http()
      .post(`/api/v1/payments/${paymentId}/verify`)
      .set(...bearer(admin))
      .expect(409);
  });

  it('refuses tampered, forged, mismatched and foreign notifications with nothing changed', async () => {
    const m = await expiredMember();
    const { paymentId, hosted } = await checkout(m.id);
    const otherMember = await expiredMember();
    const other = await checkout(otherMember.id);
    const before = await state(m.id, paymentId);
    const otherBefore = await state(otherMember.id, other.paymentId);
    const refusals = [
      // amount changed after signing
      await payfast.notify(hosted, { tamper: { amount_gross: '0.01' } }),
      // status changed after signing
      await payfast.notify(hosted, { status: 'FAILED', tamper: { payment_status: 'COMPLETE' } }),
      // signed without our passphrase
      await payfast.notify(hosted, { passphrase: 'guessed' }),
      // correctly signed, but for a different amount than our payment
      await payfast.notify(hosted, { amountGross: '1.00' }),
      // correctly signed (a leaked passphrase), but PayFast never sent it: validate answers INVALID
      await payfast.notify({ ...hosted, pfPaymentId: '1234567' }, { unsent: true }),
      // from an address outside PAYFAST_SOURCE_RANGES
      await payfast.notify(hosted, { forwardedFor: '203.0.113.9' }),
      // an unknown payment reference
      await payfast.notify(
        { ...hosted, fields: { ...hosted.fields, m_payment_id: 'EFF-unknown' } },
        {},
      ),
      // our reference, but custom_str1 names another payment of ours
      await payfast.notify(
        { ...hosted, fields: { ...hosted.fields, custom_str1: other.paymentId } },
        {},
      ),
    ];
    expect(refusals.map((r) => r.status)).toEqual([400, 400, 400, 400, 400, 400, 400, 400]);
    expect(await state(m.id, paymentId)).toEqual(before);
    expect(await state(otherMember.id, other.paymentId)).toEqual(otherBefore);
    // the genuine one still goes through
    expect((await payfast.notify(hosted)).status).toBe(200);
    expect(await state(m.id, paymentId)).toMatchObject({ payment_status: 'verified' });
  });

  it('applies one of several copies of an ITN delivered at the same moment; the others are repeats', async () => {
    const m = await expiredMember();
    const { paymentId, hosted } = await checkout(m.id);
    const answers = await Promise.all([1, 2, 3].map(() => payfast.notify(hosted)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers.map((a) => (a.body as { outcome: string }).outcome).sort()).toEqual([
      'applied',
      'repeat',
      'repeat',
    ]);
    expect(await state(m.id, paymentId)).toMatchObject({
      member_status: 'active',
      payment_status: 'verified',
      renewals: 1,
    });
    const { rows } = await t.db.pool.query<{ action: string }>(
      `SELECT action FROM audit_events WHERE entity_id = $1 ORDER BY occurred_at`,
      [paymentId],
    );
    expect(rows.map((r) => r.action)).toEqual(['payment.recorded', 'payment.verified']);
  });

  it('ignores notifications that arrive after the payment was decided (out of order)', async () => {
    const m = await expiredMember();
    const { paymentId, hosted } = await checkout(m.id);
    // PENDING first: accepted, nothing decided
    expect(await payfast.notify(hosted, { status: 'PENDING' })).toEqual({
      status: 200,
      body: { outcome: 'ignored' },
    });
    expect(await state(m.id, paymentId)).toMatchObject({ payment_status: 'pending', renewals: 0 });
    expect((await payfast.notify(hosted, { status: 'COMPLETE' })).status).toBe(200);
    const decided = await state(m.id, paymentId);
    // a late FAILED for the same transaction does not undo the verified payment
    const late = await payfast.notify(hosted, { status: 'FAILED' });
    expect(late.status).toBe(200);
    expect(await state(m.id, paymentId)).toEqual(decided);
  });

  it('rejects a payment PayFast reports as failed and leaves the member as they were', async () => {
    const m = await expiredMember();
    const { paymentId, hosted } = await checkout(m.id);
    expect((await payfast.notify(hosted, { status: 'FAILED' })).status).toBe(200);
    expect(await state(m.id, paymentId)).toMatchObject({
      member_status: 'expired',
      payment_status: 'rejected',
      renewals: 0,
    });
    // a repeat of the FAILED is a repeat
    expect(await payfast.notify(hosted, { status: 'FAILED' })).toEqual({
      status: 200,
      body: { outcome: 'repeat' },
    });
    // a later COMPLETE (another PayFast transaction) for the rejected payment changes nothing, but is audited
    // for finance to reconcile: PayFast took money for it
    const late = { ...hosted, pfPaymentId: `${hosted.pfPaymentId}9` };
    expect(await payfast.notify(late, { status: 'COMPLETE' })).toEqual({
      status: 200,
      body: { outcome: 'ignored' },
    });
    expect(await state(m.id, paymentId)).toMatchObject({
      member_status: 'expired',
      payment_status: 'rejected',
      renewals: 0,
    });
    const { rows } = await t.db.pool.query<{ changes: Record<string, unknown> }>(
      `SELECT changes FROM audit_events
       WHERE entity_id = $1 AND action = 'payment.gateway_complete_after_rejection'`,
      [paymentId],
    );
    expect(rows.map((r) => r.changes)).toEqual([
      expect.objectContaining({ providerPaymentId: late.pfPaymentId, amountCents: 1000 }),
    ]);
  });
});
