import { randomBytes } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import { bearer, createUser, loginAsSuperAdmin, Session, TestUser } from '../harness/auth.js';
import { insertMember, positionId, structureId } from '../harness/leadership-fixtures.js';
import { createMember, WARDS } from '../harness/members.js';
import { connectRealtime, nextEvent, noEvent } from '../harness/realtime.js';
import { startTestContext, TestContext } from '../harness/test-app.js';

interface Message {
  type: string;
  data: Record<string, unknown>;
}

/** Every event a socket receives, by name. */
function recorder(socket: Socket): Message[] {
  const seen: Message[] = [];
  // stats.updated goes to every socket (no entity data): not what these tests are about
  socket.onAny((event: string, message: Message) => {
    if (event !== 'stats.updated') seen.push({ ...message, type: event });
  });
  return seen;
}

const SILENCE_MS = 1_500;

/**
 * Per-event permissions (libs/realtime EVENT_PERMISSION): a finance officer's socket joins its scope's
 * `#payments:read` sub-room (and those of its other permissions), so it hears payment.* in its area, never
 * leadership or branch events (it may not read those), and nothing outside its area.
 */
describe('realtime: finance officers and per-event permissions (e2e)', () => {
  let t: TestContext;
  let admin: Session;
  let financeGp: TestUser;
  let financeLp: TestUser;
  let financeNational: TestUser;
  let gpAdmin: TestUser;
  let wardMember: TestUser;
  const sockets: Socket[] = [];
  const today = (): string => new Date().toISOString().slice(0, 10);

  beforeAll(async () => {
    t = await startTestContext({ STATUS_RECALC_CRON: 'off', AUTH_THROTTLE_LIMIT: '1000' });
    admin = await loginAsSuperAdmin(t.app);
    financeGp = await createUser(t.app, admin, 'finance_officer', 'province', 'GP');
    financeLp = await createUser(t.app, admin, 'finance_officer', 'province', 'LP');
    financeNational = await createUser(t.app, admin, 'finance_officer', 'national', null);
    gpAdmin = await createUser(t.app, admin, 'provincial_admin', 'province', 'GP');
    wardMember = await createUser(t.app, admin, 'member', 'ward', WARDS.own);
  }, 120_000);
  afterAll(async () => {
    for (const s of sockets) s.close();
    await t?.close();
  });

  async function connect(session: Session): Promise<{ socket: Socket; seen: Message[] }> {
    const socket = await connectRealtime(t.app, { token: session.accessToken });
    sockets.push(socket);
    return { socket, seen: recorder(socket) };
  }

  async function record(): Promise<string> {
    const m = await createMember(t.app, admin, { wardCode: WARDS.own });
    const res = await t.app
      .http()
      .post('/api/v1/payments')
      .set(...bearer(admin))
      .send({
        memberId: m.id,
        method: 'eft',
        paidOn: today(),
        reference: `FRT-${randomBytes(6).toString('hex')}`,
      })
      .expect(201);
    return (res.body as { id: string }).id;
  }

  it('a finance officer in scope hears payment.recorded, verified and rejected; out of scope and the member role hear nothing', async () => {
    const gp = await connect(financeGp);
    const lp = await connect(financeLp);
    const member = await connect(wardMember);
    const admin_ = await connect(gpAdmin);

    const recorded = nextEvent<Message>(gp.socket, 'payment.recorded', 10_000);
    const adminRecorded = nextEvent<Message>(admin_.socket, 'payment.recorded', 10_000);
    const first = await record();
    expect((await recorded).data).toMatchObject({ paymentId: first, status: 'pending' });
    expect((await adminRecorded).data).toMatchObject({ paymentId: first });

    const verified = nextEvent<Message>(gp.socket, 'payment.verified', 10_000);
    await t.app
      .http()
      .post(`/api/v1/payments/${first}/verify`)
      .set(...bearer(financeNational))
      .expect(200);
    expect((await verified).data).toMatchObject({ paymentId: first, status: 'verified' });

    const second = await record();
    const rejected = nextEvent<Message>(gp.socket, 'payment.rejected', 10_000);
    await t.app
      .http()
      .post(`/api/v1/payments/${second}/reject`)
      .set(...bearer(financeNational))
      .send({ reason: 'Not on the bank statement' })
      .expect(200);
    expect((await rejected).data).toMatchObject({ paymentId: second, status: 'rejected' });

    await new Promise((resolve) => setTimeout(resolve, SILENCE_MS));
    expect(lp.seen).toEqual([]);
    expect(member.seen).toEqual([]);
    // a finance officer holds members:read (minimised reads over HTTP), so member.* reach it too
    expect(gp.seen.filter((m) => m.type.startsWith('payment.')).map((m) => m.type)).toEqual([
      'payment.recorded',
      'payment.verified',
      'payment.recorded',
      'payment.rejected',
    ]);
    expect(gp.seen.map((m) => m.type).filter((type) => !/^(member|payment)\./.test(type))).toEqual(
      [],
    );
  });

  it('a finance officer hears no leadership events; a provincial admin of the same area does', async () => {
    const gp = await connect(financeGp);
    const admin_ = await connect(gpAdmin);
    const holder = await insertMember(t.db.pool, WARDS.own);
    const structure = await structureId(t.db.pool, 'bct', WARDS.own);
    const position = await positionId(t.db.pool, 'bct', 'secretary');
    const heard = nextEvent<Message>(admin_.socket, 'leadership.changed', 10_000);
    const silence = noEvent(gp.socket, 'leadership.changed', SILENCE_MS);
    await t.app
      .http()
      .post('/api/v1/leadership/appointments')
      .set(...bearer(gpAdmin))
      .send({ structureId: structure, positionId: position, memberId: holder.id, kind: 'elected' })
      .expect(201);
    expect((await heard).type).toBe('leadership.changed');
    await silence;
    expect(
      gp.seen.filter((m) => !m.type.startsWith('member.') && !m.type.startsWith('payment.')),
    ).toEqual([]);
  });
});
