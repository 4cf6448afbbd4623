import { ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import type { Socket } from 'socket.io-client';
import { connectRealtime, disconnection, nextEvent, noEvent } from '../harness/realtime.js';
import { testRedisUrl } from '../harness/test-app.js';

/** What an admin's role grants (libs/realtime SCOPED_EVENT_PERMISSIONS): the hub server takes identities as-is. */
const SCOPED_EVENT_PERMISSIONS = ['members:read', 'applications:read', 'leadership:read'];

const SERVER = path.resolve(import.meta.dirname, '../harness/realtime-hub-server.mjs');

interface Hub {
  url: string;
  child: ChildProcess;
  publish(event: Record<string, unknown>): void;
  stop(): Promise<void>;
}

/** Every hub started, so afterAll stops them even when a start never finished. */
const started: ChildProcess[] = [];

/** One RealtimeHub process (real socket.io server, real DomainEventBus, Redis adapter). */
async function startHub(prefix: string): Promise<Hub> {
  // Not 'inherit': a child holding jest's output pipes would keep jest from exiting if it outlived the test.
  const child = fork(SERVER, [], {
    env: { ...process.env, REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: prefix },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  started.push(child);
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`hub exited with ${code}: ${errors}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    publish: (event) => child.send({ publish: event }),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

let counter = 0;
/** A test identity as the hub server accepts it (the API verifies real JWTs instead). */
function token(scope: { level: string; code: string | null }, userId?: string): string {
  counter += 1;
  const identity = {
    userId: userId ?? `user-${counter}`,
    sessionId: `session-${counter}`,
    scope,
    permissions: [...SCOPED_EVENT_PERMISSIONS],
    expiresAt: Date.now() + 60_000,
  };
  return Buffer.from(JSON.stringify(identity)).toString('base64url');
}

const GP_WARD = {
  provinceCode: 'GP',
  districtCode: 'DC42',
  municipalityCode: 'GT421',
  wardCode: '74201001',
};

describe('Realtime fan-out across processes (RealtimeHub on real socket.io servers)', () => {
  let a: Hub;
  let b: Hub;
  const sockets: Socket[] = [];
  const connect = async (hub: Hub, t: string): Promise<Socket> => {
    const socket = await connectRealtime(hub.url, { token: t });
    sockets.push(socket);
    return socket;
  };

  beforeAll(async () => {
    const prefix = `fanout-${process.pid}:`;
    [a, b] = await Promise.all([startHub(prefix), startHub(prefix)]);
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await Promise.all([a?.stop(), b?.stop()]);
    for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('sends a scoped event published on A to sockets on B inside the scope, not outside', async () => {
    const national = await connect(b, token({ level: 'national', code: null }));
    const gauteng = await connect(b, token({ level: 'province', code: 'GP' }));
    const sedibeng = await connect(b, token({ level: 'district', code: 'DC42' }));
    const ward = await connect(b, token({ level: 'ward', code: '74201001' }));
    const westernCape = await connect(b, token({ level: 'province', code: 'WC' }));
    const otherWard = await connect(b, token({ level: 'ward', code: '74201002' }));
    const sameProcess = await connect(a, token({ level: 'province', code: 'GP' }));

    const got = [national, gauteng, sedibeng, ward, sameProcess].map((s) =>
      nextEvent<Record<string, unknown>>(s, 'member.created'),
    );
    const none = [westernCape, otherWard].map((s) => noEvent(s, 'member.created', 1000));
    a.publish({
      type: 'member.created',
      area: GP_WARD,
      payload: {
        memberId: 'm-1',
        membershipNumber: 'EFF0000001',
        status: 'active',
        wardCode: '74201001',
      },
    });
    const messages = await Promise.all(got);
    await Promise.all(none);
    for (const message of messages) {
      expect(message).toMatchObject({
        type: 'member.created',
        area: GP_WARD,
        data: { memberId: 'm-1', membershipNumber: 'EFF0000001' },
      });
      expect(typeof message.occurredAt).toBe('string');
    }
  });

  it('sends a transfer to the old and the new area', async () => {
    const fromWard = await connect(b, token({ level: 'ward', code: '74201001' }));
    const toProvince = await connect(b, token({ level: 'province', code: 'WC' }));
    const elsewhere = await connect(b, token({ level: 'province', code: 'KZN' }));
    const got = [fromWard, toProvince].map((s) => nextEvent(s, 'member.transferred'));
    const none = noEvent(elsewhere, 'member.transferred', 1000);
    a.publish({
      type: 'member.transferred',
      area: {
        provinceCode: 'WC',
        districtCode: 'CPT',
        municipalityCode: 'CPT',
        wardCode: '19100001',
      },
      previousArea: GP_WARD,
      payload: {
        memberId: 'm-2',
        membershipNumber: 'EFF0000002',
        fromWardCode: '74201001',
        toWardCode: '19100001',
      },
    });
    await Promise.all([...got, none]);
  });

  it('sends an event with userId only to that user’s sockets, on any process', async () => {
    const owner = token({ level: 'ward', code: '74201001' }, 'importer-1');
    const mineOnA = await connect(a, owner);
    const mineOnB = await connect(b, token({ level: 'ward', code: '74201001' }, 'importer-1'));
    const nationalOther = await connect(b, token({ level: 'national', code: null }));
    const got = [mineOnA, mineOnB].map((s) => nextEvent(s, 'import.progress'));
    const none = noEvent(nationalOther, 'import.progress', 1000);
    a.publish({
      type: 'import.progress',
      area: GP_WARD,
      userId: 'importer-1',
      payload: { importId: 'i-1', status: 'running', processed: 10, total: 100, failed: 0 },
    });
    await Promise.all([...got, none]);
  });

  it('sends stats.updated to everyone and entity events without an area to national sockets only', async () => {
    const s1 = await connect(b, token({ level: 'ward', code: '74201001' }));
    const s2 = await connect(a, token({ level: 'province', code: 'WC' }));
    const got = [s1, s2].map((s) => nextEvent(s, 'stats.updated'));
    a.publish({ type: 'stats.updated', area: null, payload: { refreshedAt: 'now', views: ['x'] } });
    await Promise.all(got);
    // A national structure (CCT, War Council) has no area: national scope contains it, no narrower scope does.
    const national = await connect(b, token({ level: 'national', code: null }));
    const heard = nextEvent<{ area: unknown; data: unknown }>(national, 'leadership.changed');
    const unheard = [s1, s2].map((s) => noEvent(s, 'leadership.changed', 800));
    const data = {
      structureId: 's-cct',
      positionId: 'p-1',
      appointmentId: 'a-1',
      change: 'appointed',
    };
    a.publish({ type: 'leadership.changed', area: null, payload: data });
    expect(await heard).toMatchObject({ area: null, data });
    await Promise.all(unheard);
  });

  it('closes a revoked session’s sockets on every process and leaves the user’s other sessions', async () => {
    const revoked = token({ level: 'province', code: 'GP' }, 'user-r');
    const { sessionId } = JSON.parse(Buffer.from(revoked, 'base64url').toString()) as {
      sessionId: string;
    };
    const onA = await connect(a, revoked);
    const onB = await connect(b, revoked);
    const otherSession = await connect(b, token({ level: 'province', code: 'GP' }, 'user-r'));
    const closed = [disconnection(onA), disconnection(onB)];
    a.publish({
      type: 'auth.sessions_revoked',
      area: null,
      userId: 'user-r',
      sessionIds: [sessionId],
      payload: { reason: 'logout' },
    });
    await Promise.all(closed);
    expect(otherSession.connected).toBe(true);
    // all sessions of the user
    const all = disconnection(otherSession);
    b.publish({
      type: 'auth.sessions_revoked',
      area: null,
      userId: 'user-r',
      payload: { reason: 'x' },
    });
    await all;
  });
});
