import type { Pool } from 'pg';
import type { Socket } from 'socket.io-client';
import { bearer, createUser, loginAsSuperAdmin, Session } from '../harness/auth.js';
import { insertMember, positionId, structureId } from '../harness/leadership-fixtures.js';
import {
  createMember,
  memberInput,
  MemberBody,
  submitApplication,
  WARDS,
} from '../harness/members.js';
import { connectRealtime } from '../harness/realtime.js';
import { financiallyReviewed } from '../harness/applications.js';
import {
  createTestDatabase,
  RunningApp,
  startApp,
  TestDatabase,
  testRedisUrl,
} from '../harness/test-app.js';

/** A message as sockets receive it: `{ type, occurredAt, area, data }`. */
interface Message {
  type: string;
  occurredAt: string;
  area: Record<string, string | null> | null;
  data: Record<string, unknown>;
}

interface Received {
  message: Message;
  /** Whether the change the event announces was visible in PostgreSQL when the event arrived. */
  committed: boolean | null;
}

const ARRIVAL_MS = 10_000;
/** How long a socket outside the scope is watched after the sockets inside it heard the event. */
const SILENCE_MS = 1_200;

/** A query that is true once the change announced by `message` is committed (run as the event arrives). */
async function isCommitted(pool: Pool, message: Message): Promise<boolean> {
  const d = message.data;
  const one = async (sql: string, params: unknown[]): Promise<boolean> =>
    (await pool.query(sql, params)).rowCount === 1;
  switch (message.type) {
    case 'member.created':
      return one('SELECT 1 FROM members WHERE id = $1', [d.memberId]);
    case 'member.updated':
      return one('SELECT 1 FROM members WHERE id = $1 AND version = $2', [d.memberId, d.version]);
    case 'member.status_changed':
      return one('SELECT 1 FROM members WHERE id = $1 AND status::text = $2', [d.memberId, d.to]);
    case 'member.transferred':
      return one('SELECT 1 FROM members WHERE id = $1 AND ward_code = $2', [
        d.memberId,
        d.toWardCode,
      ]);
    case 'application.submitted':
      return one('SELECT 1 FROM membership_applications WHERE id = $1', [d.applicationId]);
    case 'application.decided':
      return one('SELECT 1 FROM membership_applications WHERE id = $1 AND status::text = $2', [
        d.applicationId,
        d.decision,
      ]);
    case 'leadership.changed':
      return d.change === 'ended'
        ? one('SELECT 1 FROM leadership_appointments WHERE id = $1 AND end_reason IS NOT NULL', [
            d.appointmentId,
          ])
        : one('SELECT 1 FROM leadership_appointments WHERE id = $1', [d.appointmentId]);
    default:
      return false;
  }
}

/** Everything one socket received, with a check, as each message arrives, that its change was committed. */
class Recorder {
  readonly received: Received[] = [];
  private waiters: (() => void)[] = [];

  constructor(
    readonly name: string,
    readonly socket: Socket,
    pool: Pool,
  ) {
    socket.onAny((type: string, message: Message) => {
      const entry: Received = { message, committed: null };
      this.received.push(entry);
      // Issued the moment the event arrives: a publish before COMMIT would find nothing (or the old row).
      isCommitted(pool, message).then(
        (ok) => {
          entry.committed = ok;
          this.wake();
        },
        () => {
          entry.committed = false;
          this.wake();
        },
      );
      void type;
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  matching(type: string, match: (data: Record<string, unknown>) => boolean): Received[] {
    return this.received.filter((r) => r.message.type === type && match(r.message.data));
  }

  /** The first `type` message whose data matches, once its commit check has run. */
  async next(type: string, match: (data: Record<string, unknown>) => boolean): Promise<Received> {
    const deadline = Date.now() + ARRIVAL_MS;
    for (;;) {
      const found = this.matching(type, match).find((r) => r.committed !== null);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`${this.name}: no ${type} within ${ARRIVAL_MS} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

describe('Member, application and leadership events reach the right sockets across processes (e2e)', () => {
  let db: TestDatabase;
  let a: RunningApp;
  let b: RunningApp;
  let admin: Session;
  let gpAdmin: Session;
  let nationalAdmin: Session;
  const recorders: Record<string, Recorder> = {};
  const sockets: Socket[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    const env = { REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: `rtm-${process.pid}:` };
    a = await startApp(db, env);
    b = await startApp(db, env);
    admin = await loginAsSuperAdmin(a);
    gpAdmin = await createUser(a, admin, 'provincial_admin', 'province', 'GP');
    nationalAdmin = await createUser(a, admin, 'national_admin', 'national', null);
    const watchers: Record<string, Session> = {
      national: await createUser(a, admin, 'national_admin', 'national', null),
      gp: await createUser(a, admin, 'provincial_admin', 'province', 'GP'),
      ward: await createUser(a, admin, 'ward_admin', 'ward', WARDS.own),
      siblingWard: await createUser(a, admin, 'ward_admin', 'ward', WARDS.siblingWard),
      lp: await createUser(a, admin, 'provincial_admin', 'province', 'LP'),
      kzn: await createUser(a, admin, 'provincial_admin', 'province', 'KZN'),
      gpAuditor: await createUser(a, admin, 'auditor', 'province', 'GP'),
      // A party member's own account: ward scope, no permissions; may read none of the ward's records.
      wardMember: await createUser(a, admin, 'member', 'ward', WARDS.own),
    };
    // Every watcher listens on process B; every write below goes through process A.
    for (const [name, session] of Object.entries(watchers)) {
      const socket = await connectRealtime(b, { token: session.accessToken });
      sockets.push(socket);
      recorders[name] = new Recorder(name, socket, db.pool);
    }
  }, 120_000);

  afterAll(async () => {
    for (const s of sockets) s.close();
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
  });

  const rec = (name: string): Recorder => {
    const r = recorders[name];
    if (!r) throw new Error(`no recorder ${name}`);
    return r;
  };

  /**
   * `hear` receive the event (committed when it arrived, identical everywhere); `deaf` do not, even after
   * SILENCE_MS more. Returns the message.
   */
  async function expectRouted(
    type: string,
    match: (data: Record<string, unknown>) => boolean,
    hear: string[],
    deaf: string[],
  ): Promise<Message> {
    const got = await Promise.all(hear.map((name) => rec(name).next(type, match)));
    for (const [i, r] of got.entries()) {
      expect({ socket: hear[i], committed: r.committed }).toEqual({
        socket: hear[i],
        committed: true,
      });
      expect(r.message).toEqual(got[0]?.message);
    }
    await new Promise((resolve) => setTimeout(resolve, SILENCE_MS));
    for (const name of deaf)
      expect({ socket: name, got: rec(name).matching(type, match) }).toEqual({
        socket: name,
        got: [],
      });
    for (const name of hear) expect(rec(name).matching(type, match)).toHaveLength(1);
    return got[0]!.message;
  }

  const IN_GP_WARD = ['national', 'gp', 'ward', 'gpAuditor'];
  const forMember = (id: string) => (d: Record<string, unknown>) => d.memberId === id;

  let member: MemberBody;
  const address = '12 Realtime Street, Vanderbijlpark';
  const email = 'realtime.member@example.org';

  it('sends member.created (written through A) to in-scope sockets on B only, without personal data', async () => {
    member = await createMember(a, gpAdmin, {
      wardCode: WARDS.own,
      residentialAddress: address,
      email,
      cellNumber: '0829876543',
    });
    const message = await expectRouted('member.created', forMember(member.id), IN_GP_WARD, [
      'siblingWard',
      'lp',
      'kzn',
      'wardMember',
    ]);
    expect(message).toEqual({
      type: 'member.created',
      occurredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      area: {
        provinceCode: 'GP',
        districtCode: member.districtCode,
        municipalityCode: member.municipalityCode,
        wardCode: WARDS.own,
      },
      data: {
        memberId: member.id,
        membershipNumber: member.membershipNumber,
        status: member.status,
        wardCode: WARDS.own,
      },
    });
    const text = JSON.stringify(message);
    for (const secret of [member.idNumber, '829876543', 'Realtime Street', email, member.surname])
      expect(text).not.toContain(secret);
  });

  it('sends member.updated with the changed field names only', async () => {
    const res = await a
      .http()
      .patch(`/api/v1/members/${member.id}`)
      .set(...bearer(gpAdmin))
      .send({ version: member.version, residentialAddress: '99 Other Road, Sebokeng' });
    expect(res.status).toBe(200);
    const message = await expectRouted('member.updated', forMember(member.id), IN_GP_WARD, [
      'siblingWard',
      'lp',
      'kzn',
      'wardMember',
    ]);
    expect(message.data).toEqual({
      memberId: member.id,
      membershipNumber: member.membershipNumber,
      version: (res.body as MemberBody).version,
      changedFields: ['residentialAddress'],
    });
    expect(JSON.stringify(message)).not.toContain('Other Road');
  });

  it('sends member.status_changed with from and to', async () => {
    const res = await a
      .http()
      .post(`/api/v1/members/${member.id}/status`)
      .set(...bearer(gpAdmin))
      .send({ action: 'suspend', reason: 'Disciplinary hearing' });
    expect(res.status).toBe(200);
    const message = await expectRouted('member.status_changed', forMember(member.id), IN_GP_WARD, [
      'siblingWard',
      'lp',
      'kzn',
      'wardMember',
    ]);
    expect(message.data).toEqual({
      memberId: member.id,
      membershipNumber: member.membershipNumber,
      from: member.status,
      to: 'suspended',
    });
  });

  it('sends member.transferred to the old and the new area, not to a third', async () => {
    const moving = await createMember(a, gpAdmin, { wardCode: WARDS.own });
    await rec('ward').next('member.created', forMember(moving.id));
    const res = await a
      .http()
      .post(`/api/v1/members/${moving.id}/transfer`)
      .set(...bearer(nationalAdmin))
      .send({ toWardCode: WARDS.otherProvince, reason: 'Moved to Limpopo' });
    expect(res.status).toBe(200);
    const message = await expectRouted(
      'member.transferred',
      forMember(moving.id),
      [...IN_GP_WARD, 'lp'],
      ['siblingWard', 'kzn', 'wardMember'],
    );
    expect(message.area).toMatchObject({ provinceCode: 'LP', wardCode: WARDS.otherProvince });
    expect(message.data).toEqual({
      memberId: moving.id,
      membershipNumber: moving.membershipNumber,
      fromWardCode: WARDS.own,
      toWardCode: WARDS.otherProvince,
    });
    expect(JSON.stringify(message)).not.toContain('previousArea');
  });

  it('sends application.submitted (public form on A) and application.decided to the ward’s scopes', async () => {
    const input = memberInput({ wardCode: WARDS.own, residentialAddress: address });
    const applicationId = await submitApplication(a, db.pool, input);
    const forApplication = (d: Record<string, unknown>): boolean =>
      d.applicationId === applicationId;
    const submitted = await expectRouted('application.submitted', forApplication, IN_GP_WARD, [
      'siblingWard',
      'lp',
      'kzn',
      'wardMember',
    ]);
    expect(submitted.data).toEqual({ applicationId, wardCode: WARDS.own });
    const text = JSON.stringify(submitted);
    for (const secret of [input.idNumber as string, '821234567', 'Realtime Street'])
      expect(text).not.toContain(secret);

    await financiallyReviewed(db.pool, applicationId);
    const approved = await a
      .http()
      .post(`/api/v1/applications/${applicationId}/approve`)
      .set(...bearer(gpAdmin));
    expect(approved.status).toBeLessThan(300);
    const newMemberId = (approved.body as MemberBody).id;
    const decided = await expectRouted('application.decided', forApplication, IN_GP_WARD, [
      'siblingWard',
      'lp',
      'kzn',
      'wardMember',
    ]);
    expect(decided.data).toEqual({ applicationId, decision: 'approved', memberId: newMemberId });
    const created = await expectRouted('member.created', forMember(newMemberId), IN_GP_WARD, [
      'lp',
    ]);
    expect(created.data).toEqual({
      memberId: newMemberId,
      membershipNumber: (approved.body as MemberBody).membershipNumber,
      status: (approved.body as MemberBody).status,
      wardCode: WARDS.own,
    });
    expect(created.data.membershipNumber).toMatch(/^EFF\d+$/);

    const other = await submitApplication(a, db.pool, memberInput({ wardCode: WARDS.own }));
    await rec('ward').next('application.submitted', (d) => d.applicationId === other);
    await a
      .http()
      .post(`/api/v1/applications/${other}/reject`)
      .set(...bearer(gpAdmin))
      .send({ reason: 'Incomplete' })
      .expect(200);
    const rejected = await expectRouted(
      'application.decided',
      (d) => d.applicationId === other,
      IN_GP_WARD,
      ['siblingWard', 'lp'],
    );
    expect(rejected.data).toEqual({ applicationId: other, decision: 'rejected', memberId: null });
  });

  it('sends leadership.changed for a branch (BCT) to the scopes containing its ward', async () => {
    const holder = await insertMember(db.pool, WARDS.own);
    const structure = await structureId(db.pool, 'bct', WARDS.own);
    const position = await positionId(db.pool, 'bct', 'secretary');
    const res = await a
      .http()
      .post('/api/v1/leadership/appointments')
      .set(...bearer(gpAdmin))
      .send({ structureId: structure, positionId: position, memberId: holder.id, kind: 'elected' });
    expect(res.status).toBe(201);
    const appointmentId = (res.body as { id: string }).id;
    const message = await expectRouted(
      'leadership.changed',
      (d) => d.appointmentId === appointmentId,
      IN_GP_WARD,
      ['siblingWard', 'lp', 'kzn', 'wardMember'],
    );
    expect(message.data).toEqual({
      structureId: structure,
      positionId: position,
      appointmentId,
      change: 'appointed',
    });

    await a
      .http()
      .post(`/api/v1/leadership/appointments/${appointmentId}/end`)
      .set(...bearer(gpAdmin))
      .send({ reason: 'resigned' })
      .expect((r) => expect(r.status).toBeLessThan(300));
    const ended = await expectRouted(
      'leadership.changed',
      (d) => d.appointmentId === appointmentId && d.change === 'ended',
      IN_GP_WARD,
      ['siblingWard', 'lp', 'kzn', 'wardMember'],
    );
    expect(ended.data.change).toBe('ended');
  });

  it('sends leadership.changed for national structures (CCT, War Council) to national sockets only', async () => {
    for (const [kind, code] of [
      ['cct', 'president'],
      ['war_council', 'deployee_gp'],
    ] as const) {
      const holder = await insertMember(db.pool, WARDS.own);
      const structure = await structureId(db.pool, kind, 'ZA');
      const res = await a
        .http()
        .post('/api/v1/leadership/appointments')
        .set(...bearer(nationalAdmin))
        .send({
          structureId: structure,
          positionId: await positionId(db.pool, kind, code),
          memberId: holder.id,
          kind: 'appointed',
        });
      expect(res.status).toBe(201);
      const appointmentId = (res.body as { id: string }).id;
      const message = await expectRouted(
        'leadership.changed',
        (d) => d.appointmentId === appointmentId,
        ['national'],
        ['gp', 'ward', 'gpAuditor', 'siblingWard', 'lp', 'kzn', 'wardMember'],
      );
      expect(message.area).toBeNull();
      expect(message.data).toMatchObject({ structureId: structure, change: 'appointed' });
    }
  });

  it('tells a province-scoped auditor about its province only', async () => {
    const lpMember = await createMember(a, nationalAdmin, { wardCode: WARDS.otherProvince });
    await expectRouted(
      'member.created',
      forMember(lpMember.id),
      ['national', 'lp'],
      ['gp', 'gpAuditor', 'ward'],
    );
    const gpMember = await createMember(a, nationalAdmin, { wardCode: WARDS.siblingDistrict });
    await expectRouted(
      'member.created',
      forMember(gpMember.id),
      ['national', 'gp', 'gpAuditor'],
      ['lp', 'ward', 'siblingWard'],
    );
  });
});
