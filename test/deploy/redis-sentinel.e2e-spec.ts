// Redis Sentinel on real Debian redis-server / redis-sentinel processes (master, replica, three Sentinels, started
// here on loopback): two API processes find the master through REDIS_SENTINELS, the master is killed under load,
// Sentinel promotes the replica, and sessions, throttling and socket.io carry on, with zero 5xx meanwhile (during
// the failover the API is in its documented Redis-outage mode: test/e2e/redis-outage.e2e-spec.ts).
import { jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { bearer, createUser, login, loginAsSuperAdmin } from '../harness/auth.js';
import { describeNeedingDebian, ensureDebianPrograms } from '../harness/debian.js';
import { runLoad, sleep } from '../harness/load.js';
import { createMember } from '../harness/members.js';
import { connectRealtime, disconnection, nextEvent } from '../harness/realtime.js';
import {
  SENTINEL_DEBIAN_PROGRAMS,
  SENTINEL_MASTER_NAME,
  SentinelRedis,
  startSentinelRedis,
} from '../harness/redis-sentinel.js';
import {
  createTestDatabase,
  RunningApp,
  startApp,
  TestDatabase,
  TEST_ADMIN,
} from '../harness/test-app.js';

jest.setTimeout(120_000);

const LIMIT = 30;

async function waitReady(app: RunningApp, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${app.baseUrl}/api/v1/health/ready`);
    if (res.status === 200) return;
    if (Date.now() > deadline) throw new Error(`not ready: ${await res.text()}`);
    await sleep(200);
  }
}

describeNeedingDebian(SENTINEL_DEBIAN_PROGRAMS)('Redis Sentinel failover under load', () => {
  let redis: SentinelRedis;
  let db: TestDatabase;
  let a: RunningApp;
  let b: RunningApp;

  beforeAll(async () => {
    ensureDebianPrograms(SENTINEL_DEBIAN_PROGRAMS);
    [redis, db] = await Promise.all([startSentinelRedis(), createTestDatabase()]);
    const env = {
      // The host of REDIS_URL is ignored with Sentinels: they name the master.
      REDIS_URL: 'redis://sentinel-master:6379/0',
      REDIS_SENTINELS: redis.sentinels.join(','),
      REDIS_SENTINEL_NAME: SENTINEL_MASTER_NAME,
      REDIS_KEY_PREFIX: `sentinel-${randomBytes(3).toString('hex')}:`,
      THROTTLE_LIMIT: String(LIMIT),
      AUTH_THROTTLE_LIMIT: '1000',
      REALTIME_TRANSPORTS: 'websocket',
    };
    [a, b] = await Promise.all([startApp(db, env), startApp(db, env)]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
    await redis?.close();
  });

  it('keeps sessions, throttling and socket.io across a failover, with zero 5xx', async () => {
    const admin = await loginAsSuperAdmin(a);
    const user = await createUser(a, admin, 'provincial_admin', 'province', 'GP');
    // The session is in Redis (the master) and on the replica before the crash.
    expect(
      (
        await b
          .http()
          .get('/api/v1/auth/me')
          .set(...bearer(user))
      ).status,
    ).toBe(200);
    await redis.syncReplica();

    // Load on both processes: session checks and cached reads, each from its own client address.
    let n = 0;
    const load = runLoad(4, (i) => {
      const app = i % 2 ? a : b;
      n += 1;
      const from = `10.9.${(n >> 8) & 255}.${n & 255}`;
      return i % 3 === 0
        ? {
            url: `${app.baseUrl}/api/v1/geography/provinces`,
            init: { headers: { 'x-forwarded-for': from } },
            tag: 'geo',
          }
        : {
            url: `${app.baseUrl}/api/v1/auth/me`,
            init: {
              headers: { authorization: `Bearer ${user.accessToken}`, 'x-forwarded-for': from },
            },
            tag: 'me',
          };
    });
    await sleep(1000);
    const killedAt = load.now();
    await redis.killMaster();
    await redis.waitForMaster(redis.replicaPort);
    const promotedAt = load.now();
    await Promise.all([waitReady(a), waitReady(b)]).catch((e: Error) => {
      throw new Error(`${e.message}\n${a.output().slice(-3000)}`);
    });
    await sleep(1000);
    const outcomes = await load.stop();

    const failures = outcomes.filter((o) => o.status === null || o.status >= 500);
    expect(failures).toEqual([]);
    // Sessions hold throughout: no request was refused (the degraded mode still knows confirmed sessions).
    expect(outcomes.filter((o) => o.status !== 200)).toEqual([]);
    expect(outcomes.length).toBeGreaterThan(20);
    expect(outcomes.some((o) => o.start > promotedAt)).toBe(true);
    expect(promotedAt - killedAt).toBeLessThan(30_000);

    // The session survives on the new master, on both processes.
    for (const app of [a, b])
      expect(
        (
          await app
            .http()
            .get('/api/v1/auth/me')
            .set(...bearer(user))
        ).status,
      ).toBe(200);

    // Shared throttling again, on the promoted master: one client's requests on both processes add up.
    const client: [string, string] = ['x-forwarded-for', '192.0.2.91'];
    for (let i = 0; i < LIMIT; i += 1) {
      const res = await (i % 2 ? a : b)
        .http()
        .get('/api/v1/geography/provinces')
        .set(...client);
      expect(res.status).toBe(200);
    }
    expect(
      (
        await a
          .http()
          .get('/api/v1/geography/provinces')
          .set(...client)
      ).status,
    ).toBe(429);
    expect(
      (
        await b
          .http()
          .get('/api/v1/geography/provinces')
          .set(...client)
      ).status,
    ).toBe(429);

    // socket.io fans out through the promoted master: a member created on A reaches a socket on B.
    const watcher = await login(b, TEST_ADMIN.email, TEST_ADMIN.password);
    const socket = await connectRealtime(b, { token: watcher.accessToken });
    try {
      const event = nextEvent<{ data?: { memberId?: string } }>(socket, 'member.created', 10_000);
      const member = await createMember(a, admin);
      expect(await event).toMatchObject({ type: 'member.created', data: { memberId: member.id } });
    } finally {
      socket.close();
    }

    // Session revocation crosses processes again: logout on A closes B's socket and ends the session there.
    const onB = await connectRealtime(b, { token: user.accessToken });
    const gone = disconnection(onB, 10_000);
    expect(
      (
        await a
          .http()
          .post('/api/v1/auth/logout')
          .set(...bearer(user))
      ).status,
    ).toBe(204);
    await gone;
    expect(
      (
        await b
          .http()
          .get('/api/v1/auth/me')
          .set(...bearer(user))
      ).status,
    ).toBe(401);
  });
});
