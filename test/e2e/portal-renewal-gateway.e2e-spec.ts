import { bearer, createUser, loginAsSuperAdmin, Session } from '../harness/auth.js';
import { createMember, WARDS } from '../harness/members.js';
import { PayFastStandIn, startPayFastStandIn } from '../harness/payfast-stand-in.js';
import { memberSession } from '../harness/portal.js';
import { startTestContext, TestContext } from '../harness/test-app.js';

const MERCHANT = {
  merchantId: '10000100',
  merchantKey: '46f0cd694581a',
  passphrase: 'portal renewal test passphrase',
};

/**
 * Renewal from the portal with PayFast configured (the stand-in of test/harness/payfast-stand-in.ts): the member
 * gets the payments module's own checkout for their own membership, PayFast accepts the signed form, and its
 * signed, validated ITN renews the membership.
 */
describe('member portal: renewal through PayFast (e2e)', () => {
  let t: TestContext;
  let payfast: PayFastStandIn;
  let admin: Session;

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
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await payfast?.close();
  });

  it('an expired member checks out from the portal, pays, and the ITN renews them', async () => {
    const member = await createMember(t.app, admin, {
      wardCode: WARDS.own,
      joinedOn: '2022-03-01',
      lastPaidOn: '2022-03-01',
    });
    expect(member.status).toBe('expired');
    const session = await memberSession(t.app, admin, member.id, WARDS.own);

    const res = await http()
      .post('/api/v1/me/renewals/checkout')
      .set(...bearer(session))
      .send({});
    expect(res.status).toBe(201);
    const body = res.body as {
      payment: { id: string; status: string; method: string; memberId: string; recordedBy: string };
      processUrl: string;
      fields: Record<string, string>;
    };
    expect(body.payment).toMatchObject({
      status: 'pending',
      method: 'card',
      memberId: member.id,
      recordedBy: session.userId,
    });
    expect(body.processUrl).toBe(payfast.processUrl);
    expect(body.fields).toMatchObject({ amount: '10.00', custom_str1: body.payment.id });
    // PayFast checks the signed form as it would from the browser
    const hosted = await payfast.pay(body.fields);

    const before = await http()
      .get('/api/v1/me/membership')
      .set(...bearer(session))
      .expect(200);
    expect(before.body.member.status).toBe('expired');
    expect(before.body.renewals).toEqual([]);

    expect(await payfast.notify(hosted)).toEqual({ status: 200, body: { outcome: 'applied' } });
    const after = await http()
      .get('/api/v1/me/membership')
      .set(...bearer(session))
      .expect(200);
    expect(after.body.member.status).toBe('active');
    expect(after.body.renewals).toHaveLength(1);
    expect(after.body.renewals[0]).toMatchObject({ amountCents: 1000 });
    const { rows } = await t.db.pool.query<{ status: string; intents: number }>(
      `SELECT (SELECT status::text FROM payments WHERE id = $1) AS status,
              (SELECT count(*) FROM renewal_intents WHERE member_id = $2)::int AS intents`,
      [body.payment.id, member.id],
    );
    expect(rows[0]).toEqual({ status: 'verified', intents: 0 });
  });

  it('checks out only my own membership, whatever the body says; closed memberships cannot renew', async () => {
    const mine = await createMember(t.app, admin, { wardCode: WARDS.own });
    const someoneElse = await createMember(t.app, admin, { wardCode: WARDS.own });
    const session = await memberSession(t.app, admin, mine.id, WARDS.own);
    const res = await http()
      .post('/api/v1/me/renewals/checkout')
      .set(...bearer(session))
      .send({ memberId: someoneElse.id });
    expect(res.status).toBe(201);
    expect(res.body.payment.memberId).toBe(mine.id);
    const { rows } = await t.db.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM payments WHERE member_id = $1',
      [someoneElse.id],
    );
    expect(rows[0]?.n).toBe(0);

    await http()
      .post(`/api/v1/members/${mine.id}/status`)
      .set(...bearer(admin))
      .send({ action: 'cancel', reason: 'Resigned' })
      .expect(200);
    const refused = await http()
      .post('/api/v1/me/renewals/checkout')
      .set(...bearer(session));
    expect([refused.status, refused.body.code]).toEqual([409, 'INVALID_STATUS_TRANSITION']);
    // an admin still uses the payments route, not the portal
    const wardAdmin = await createUser(t.app, admin, 'ward_admin', 'ward', WARDS.own);
    await http()
      .post('/api/v1/me/renewals/checkout')
      .set(...bearer(wardAdmin))
      .expect(403);
  });
});
