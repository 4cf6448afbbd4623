import { Redis } from 'ioredis';
import { bearer, createUser, loginAsSuperAdmin } from '../harness/auth.js';
import { makeIdNumber } from '../harness/member-rows.js';
import { connectRealtime, disconnection } from '../harness/realtime.js';
import {
  createTestDatabase,
  RunningApp,
  startApp,
  TestDatabase,
  testRedisUrl,
} from '../harness/test-app.js';

const LIMIT = 40;
const AUTH_LIMIT = 8;
const PREFIX = `mp-${process.pid}:`;

/** Two API processes on two ports sharing one PostgreSQL database and one Redis. */
describe('Several API processes share limits, sessions and sockets (e2e)', () => {
  let db: TestDatabase;
  let a: RunningApp;
  let b: RunningApp;
  let env: Record<string, string>;
  beforeAll(async () => {
    db = await createTestDatabase();
    env = {
      REDIS_URL: testRedisUrl(),
      REFRESH_TOKEN_TTL_SECONDS: '300',
      REDIS_KEY_PREFIX: PREFIX,
      THROTTLE_LIMIT: String(LIMIT),
      AUTH_THROTTLE_LIMIT: String(AUTH_LIMIT),
      STATS_CACHE_TTL_SECONDS: '600',
    };
    [a, b] = await Promise.all([startApp(db, env), startApp(db, env)]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
  });

  // The trusted proxy (loopback) forwards for a client of our choosing: each test its own bucket.
  const from = (address: string): [string, string] => ['x-forwarded-for', address];
  const provinces = (app: RunningApp, client: [string, string]) =>
    app
      .http()
      .get('/api/v1/geography/provinces')
      .set(...client);

  /** LIMIT requests from the client, alternating between the processes, before `beforeHit(i)` each; all 200. */
  async function useUpLimit(
    client: [string, string],
    beforeHit: (i: number) => Promise<void> = async () => undefined,
  ) {
    for (let i = 0; i < LIMIT; i += 1) {
      await beforeHit(i);
      expect((await provinces(i % 2 === 0 ? a : b, client)).status).toBe(200);
    }
  }

  it('counts one client’s requests on both processes against one limit', async () => {
    const client = from('203.0.113.10');
    await useUpLimit(client);
    for (const app of [a, b]) {
      const res = await provinces(app, client);
      expect(res.status).toBe(429);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(res.body).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    }
  });

  it('keeps one shared count when Redis forgets the counting script (SCRIPT FLUSH, as after a restart)', async () => {
    const client = from('203.0.113.40');
    const redis = new Redis(testRedisUrl());
    try {
      await useUpLimit(client, async (i) => {
        if (i === LIMIT / 2) await redis.script('FLUSH');
      });
    } finally {
      redis.disconnect();
    }
    for (const app of [a, b]) expect((await provinces(app, client)).status).toBe(429);
  });

  it('believes X-Forwarded-For from a trusted proxy: each forwarded client has its own bucket', async () => {
    const first = from('203.0.113.20');
    for (let i = 0; i < LIMIT; i += 1)
      await a
        .http()
        .get('/api/v1/geography/provinces')
        .set(...first);
    expect(
      (
        await a
          .http()
          .get('/api/v1/geography/provinces')
          .set(...first)
      ).status,
    ).toBe(429);
    const second = await b
      .http()
      .get('/api/v1/geography/provinces')
      .set(...from('203.0.113.21'));
    expect(second.status).toBe(200);
  });

  it('applies the stricter sign-in limit across both processes', async () => {
    const client = from('203.0.113.30');
    for (let i = 0; i < AUTH_LIMIT; i += 1) {
      const res = await (i % 2 ? a : b)
        .http()
        .post('/api/v1/auth/login')
        .set(...client)
        .send({ email: `nobody.${i}@test.local`, password: 'Not-The-Password-2026!' });
      expect(res.status).toBe(401);
    }
    const refused = await a
      .http()
      .post('/api/v1/auth/login')
      .set(...client)
      .send({ email: 'nobody.x@test.local', password: 'Not-The-Password-2026!' });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.body).toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('caches geography answers in Redis, where both processes read them', async () => {
    const first = await a.http().get('/api/v1/geography/provinces/GP/districts');
    expect(first.status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    const redis = new Redis(testRedisUrl());
    try {
      const keys = await redis.keys(`${PREFIX}cache:geography:*`);
      expect(keys.some((k) => k.endsWith(':districts:GP'))).toBe(true);
    } finally {
      redis.disconnect();
    }
    const second = await b.http().get('/api/v1/geography/provinces/GP/districts');
    expect(second.body).toEqual(first.body);
    expect((await b.http().get('/api/v1/geography/provinces/XX/districts')).status).toBe(404);
  });

  it('a statistics refresh on A reaches the answers B holds cached at once', async () => {
    const admin = await loginAsSuperAdmin(a);
    // Its own bucket: the sign-in test above spends 203.0.113.30's, and this one polls up to 30 times.
    const client = from('203.0.113.31');
    const gpTotal = async (): Promise<number> => {
      const res = await b
        .http()
        .get('/api/v1/stats/membership?level=province')
        .set(...client)
        .set(...bearer(admin));
      expect(res.status).toBe(200);
      const rows = (res.body as { data: { code: string; total: number }[] }).data;
      return rows.find((row) => row.code === 'GP')?.total ?? 0;
    };
    const before = await gpTotal();
    expect(await gpTotal()).toBe(before);

    const csv = `ID Number,First Names,Surname,Ward Code\n${makeIdNumber('1981-03-04', 7)},Cached,Reader,79800001\n`;
    const upload = await a
      .http()
      .post('/api/v1/members/imports')
      .set(...client)
      .set(...bearer(admin))
      .attach('file', Buffer.from(csv), 'one.csv');
    expect(upload.status).toBe(202);
    // The import commits, refreshes the views and bumps the cache version; B's next read must see it, well
    // within the minutes (STATS_CACHE_TTL_SECONDS) a stale entry would otherwise live.
    let after = before;
    for (let i = 0; i < 30 && after === before; i += 1) {
      await new Promise((r) => setTimeout(r, 400));
      after = await gpTotal();
    }
    expect(after).toBe(before + 1);
  });

  it('a geography invalidation on another process reaches the answer B holds in memory at its next read', async () => {
    const client = from('203.0.113.60');
    const gauteng = async (): Promise<string | undefined> => {
      const res = await provinces(b, client);
      expect(res.status).toBe(200);
      return (res.body as { code: string; name: string }[]).find((p) => p.code === 'GP')?.name;
    };
    const name = await gauteng();
    await db.pool.query(`UPDATE provinces SET name = name || ' (renamed)' WHERE code = 'GP'`);
    // Cached on B: the change in PostgreSQL alone is not seen.
    expect(await gauteng()).toBe(name);
    // A third process invalidates the geography cache as it starts (GeographyService bootstrap).
    const c = await startApp(db, env);
    await c.stop();
    expect(await gauteng()).toBe(`${name} (renamed)`);
  });

  it('logout through A ends the session on B at once and closes B’s socket', async () => {
    const admin = await loginAsSuperAdmin(a);
    const user = await createUser(a, admin, 'provincial_admin', 'province', 'GP');
    expect(
      (
        await b
          .http()
          .get('/api/v1/auth/me')
          .set(...bearer(user))
      ).status,
    ).toBe(200);
    const socketOnB = await connectRealtime(b, { token: user.accessToken });
    const closed = disconnection(socketOnB, 3000);

    expect(
      (
        await a
          .http()
          .post('/api/v1/auth/logout')
          .set(...bearer(user))
      ).status,
    ).toBe(204);
    expect(
      (
        await b
          .http()
          .get('/api/v1/auth/me')
          .set(...bearer(user))
      ).status,
    ).toBe(401);
    expect(await closed).toBe('io server disconnect');
    // the admin's session (another user) is untouched on both processes
    expect(
      (
        await b
          .http()
          .get('/api/v1/auth/me')
          .set(...bearer(admin))
      ).status,
    ).toBe(200);
  });

  it('a password change on B closes the user’s sockets on A', async () => {
    const admin = await loginAsSuperAdmin(b);
    const user = await createUser(b, admin, 'ward_admin', 'ward', '79800001');
    const socketOnA = await connectRealtime(a, { token: user.accessToken });
    const closed = disconnection(socketOnA, 3000);
    const res = await b
      .http()
      .post('/api/v1/auth/change-password')
      .set(...bearer(user))
      .send({ currentPassword: user.password, newPassword: 'Another-Long-Passphrase-2026!' });
    expect(res.status).toBe(204);
    expect(await closed).toBe('io server disconnect');
    expect(
      (
        await a
          .http()
          .get('/api/v1/auth/me')
          .set(...bearer(user))
      ).status,
    ).toBe(401);
  });
});

describe('The client address behind a proxy (e2e)', () => {
  let db: TestDatabase;
  let untrusting: RunningApp;
  beforeAll(async () => {
    db = await createTestDatabase();
    // Only 10.255.0.1 is a trusted proxy: the test's own connections (loopback) are not.
    untrusting = await startApp(db, {
      REDIS_URL: testRedisUrl(),
      REFRESH_TOKEN_TTL_SECONDS: '300',
      REDIS_KEY_PREFIX: `xff-${process.pid}:`,
      THROTTLE_LIMIT: '5',
      TRUST_PROXY: '10.255.0.1',
    });
  });
  afterAll(async () => {
    await untrusting?.stop();
    await db?.drop();
  });

  it('ignores X-Forwarded-For from an untrusted peer: forged addresses share its bucket', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i += 1) {
      const res = await untrusting
        .http()
        .get('/api/v1/geography/provinces')
        .set('x-forwarded-for', `198.51.100.${i + 1}`);
      statuses.push(res.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
  });
});
