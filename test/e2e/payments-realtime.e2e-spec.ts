import type { Socket } from 'socket.io-client';
import { bearer, createUser, loginAsSuperAdmin, Session, TestUser } from '../harness/auth.js';
import { createMember, WARDS } from '../harness/members.js';
import { connectRealtime, nextEvent, noEvent } from '../harness/realtime.js';
import { startTestContext, TestContext } from '../harness/test-app.js';

interface Message {
  type: string;
  area: Record<string, string | null> | null;
  data: Record<string, unknown>;
}

/** payment.* events reach the payment's area rooms only, with no amounts or references in any room. */
describe('payments: realtime (e2e)', () => {
  let t: TestContext;
  let admin: Session;
  let wardAdmin: TestUser;
  let lpAdmin: TestUser;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    t = await startTestContext({ STATUS_RECALC_CRON: 'off', AUTH_THROTTLE_LIMIT: '1000' });
    admin = await loginAsSuperAdmin(t.app);
    wardAdmin = await createUser(t.app, admin, 'ward_admin', 'ward', WARDS.own);
    lpAdmin = await createUser(t.app, admin, 'provincial_admin', 'province', 'LP');
  }, 120_000);
  afterAll(async () => {
    for (const s of sockets) s.close();
    await t?.close();
  });

  it('tells the ward room a payment was recorded and verified, and not another province', async () => {
    const ward = await connectRealtime(t.app, { token: wardAdmin.accessToken });
    const lp = await connectRealtime(t.app, { token: lpAdmin.accessToken });
    sockets.push(ward, lp);
    const m = await createMember(t.app, admin, { wardCode: WARDS.own });
    const recorded = nextEvent<Message>(ward, 'payment.recorded', 10_000);
    const silence = noEvent(lp, 'payment.recorded', 2_000);
    const res = await t.app
      .http()
      .post('/api/v1/payments')
      .set(...bearer(admin))
      .send({
        memberId: m.id,
        method: 'cash',
        paidOn: new Date().toISOString().slice(0, 10),
        reference: `RT-${m.id}`,
      })
      .expect(201);
    const message = await recorded;
    await silence;
    expect(message.data).toEqual({
      paymentId: res.body.id,
      memberId: m.id,
      applicationId: null,
      method: 'cash',
      status: 'pending',
      wardCode: WARDS.own,
    });
    expect(JSON.stringify(message)).not.toContain(`RT-${m.id}`);
    const verified = nextEvent<Message>(ward, 'payment.verified', 10_000);
    await t.app
      .http()
      .post(`/api/v1/payments/${res.body.id as string}/verify`)
      .set(...bearer(wardAdmin))
      .expect(200);
    expect((await verified).data).toMatchObject({ paymentId: res.body.id, status: 'verified' });
  });
});
