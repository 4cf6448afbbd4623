import type { Response } from 'supertest';
import { bearer, createUser, login, loginAsSuperAdmin } from '../harness/auth.js';
import { connectRealtime, disconnection } from '../harness/realtime.js';
import { ownRedis, OwnRedis } from '../harness/redis-server.js';
import {
  createTestDatabase,
  RunningApp,
  startApp,
  TestDatabase,
  TEST_ADMIN,
} from '../harness/test-app.js';

const LIMIT = 30;

/**
 * Runs a request, and checks it answered without a 5xx and without waiting on Redis: an API waiting for the lost
 * Redis would hang far longer (reconnects, queued commands). 2 s leaves room for a loaded CI machine.
 */
async function quick(request: PromiseLike<Response>, what: string): Promise<Response> {
  const started = Date.now();
  const res = await request;
  const ms = Date.now() - started;
  if (res.status >= 500 || ms >= 2000) {
    throw new Error(`${what}: ${res.status} after ${ms} ms ${JSON.stringify(res.body)}`);
  }
  return res;
}

async function waitReady(app: RunningApp, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await app.http().get('/api/v1/health/ready');
    if (res.status === 200) return;
    if (Date.now() > deadline) throw new Error(`not ready: ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('Redis stops and returns while two API processes serve (e2e)', () => {
  let redis: OwnRedis;
  let db: TestDatabase;
  let a: RunningApp;
  let b: RunningApp;
  beforeAll(async () => {
    redis = await ownRedis();
    db = await createTestDatabase();
    const env = {
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: 'outage:',
      THROTTLE_LIMIT: String(LIMIT),
      AUTH_THROTTLE_LIMIT: '1000',
    };
    [a, b] = await Promise.all([startApp(db, env), startApp(db, env)]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
    await redis?.kill();
  });

  it('serves reads, sign-ins and writes quickly without Redis, then shares limits and events again', async () => {
    const admin = await loginAsSuperAdmin(a);
    await quick(a.http().get('/api/v1/geography/provinces'), 'warm cache');
    await quick(
      a
        .http()
        .get('/api/v1/auth/me')
        .set(...bearer(admin)),
      'me before',
    );

    await redis.kill();
    await new Promise((r) => setTimeout(r, 300));

    // Readiness tells the load balancer; everything else keeps working.
    const ready = await a.http().get('/api/v1/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.checks.redis).toBe('unavailable');

    for (const app of [a, b]) {
      const provinces = await quick(app.http().get('/api/v1/geography/provinces'), 'provinces');
      expect(provinces.status).toBe(200);
      expect(provinces.body).toHaveLength(9);
      expect((await quick(app.http().get('/api/v1/geography/wards/79800001'), 'ward')).status).toBe(
        200,
      );
      expect(
        (await quick(app.http().get('/api/v1/geography/search?q=Sedibeng'), 'search')).status,
      ).toBe(200);
      const signIn = await quick(
        app.http().post('/api/v1/auth/login').send(TEST_ADMIN),
        'login during outage',
      );
      expect(signIn.status).toBe(200);
      const token = (signIn.body as { accessToken: string }).accessToken;
      const created = await quick(
        app
          .http()
          .post('/api/v1/users')
          .set('authorization', `Bearer ${token}`)
          .send({
            email: `outage.${app.port}@test.local`,
            name: 'Outage User',
            password: 'Ward-Organiser-Pass-2026!',
            role: 'ward_admin',
            scopeLevel: 'ward',
            scopeCode: '79800001',
          }),
        'create user during outage',
      );
      expect(created.status).toBe(201);
    }
    // A session Redis confirmed before the outage still works on the process that saw it.
    expect(
      (
        await quick(
          a
            .http()
            .get('/api/v1/auth/me')
            .set(...bearer(admin)),
          'me',
        )
      ).status,
    ).toBe(200);
    // Sockets still connect (tokens verified locally) and a logout still closes them on this process.
    const outageSession = await login(a, TEST_ADMIN.email, TEST_ADMIN.password);
    const socket = await connectRealtime(a, { token: outageSession.accessToken });
    const closed = disconnection(socket, 3000);
    expect(
      (
        await quick(
          a
            .http()
            .post('/api/v1/auth/logout')
            .set(...bearer(outageSession)),
          'logout',
        )
      ).status,
    ).toBe(204);
    await closed;
    expect(
      (
        await a
          .http()
          .get('/api/v1/auth/me')
          .set(...bearer(outageSession))
      ).status,
    ).toBe(401);
    // Throttling falls back to per-process counters: still no errors.
    for (let i = 0; i < 5; i += 1) {
      await quick(
        b.http().get('/api/v1/geography/provinces').set('x-forwarded-for', '192.0.2.50'),
        'throttled read',
      );
    }

    // Redis returns (empty, as after a crash without persistence); no restart of the API.
    await redis.start();
    await Promise.all([waitReady(a), waitReady(b)]);

    // Shared limits again: one client's requests on both processes add up.
    const client: [string, string] = ['x-forwarded-for', '192.0.2.77'];
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

    // Events cross processes again: logout on A closes the socket on B and ends the session there.
    const fresh = await loginAsSuperAdmin(a);
    const user = await createUser(a, fresh, 'provincial_admin', 'province', 'GP');
    expect(
      (
        await b
          .http()
          .get('/api/v1/auth/me')
          .set(...bearer(user))
      ).status,
    ).toBe(200);
    const onB = await connectRealtime(b, { token: user.accessToken });
    const gone = disconnection(onB, 5000);
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

  it('stays quick while Redis hangs (accepts connections, answers nothing), and recovers', async () => {
    const admin = await loginAsSuperAdmin(a);
    const user = await createUser(a, admin, 'ward_admin', 'ward', '79800001');
    redis.pause();
    try {
      for (let i = 0; i < 3; i += 1) {
        for (const app of [a, b]) {
          expect(
            (await quick(app.http().get('/api/v1/geography/provinces/GP'), 'read while hung'))
              .status,
          ).toBe(200);
        }
        expect(
          (
            await quick(
              a
                .http()
                .get('/api/v1/auth/me')
                .set(...bearer(user)),
              'me while hung',
            )
          ).status,
        ).toBe(200);
        expect(
          (await quick(a.http().post('/api/v1/auth/login').send(TEST_ADMIN), 'login while hung'))
            .status,
        ).toBe(200);
        await new Promise((r) => setTimeout(r, 700));
      }
    } finally {
      redis.resume();
    }
    await Promise.all([waitReady(a), waitReady(b)]);
    const onB = await connectRealtime(b, { token: user.accessToken });
    const gone = disconnection(onB, 5000);
    expect(
      (
        await a
          .http()
          .post('/api/v1/auth/logout')
          .set(...bearer(user))
      ).status,
    ).toBe(204);
    await gone;
  });
});
