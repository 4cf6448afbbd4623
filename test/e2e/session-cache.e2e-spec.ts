import { Redis } from 'ioredis';
import {
  bearer,
  createUser,
  login,
  loginAsSuperAdmin,
  Session,
  TEST_PASSWORD,
} from '../harness/auth.js';
import { decodeJwt } from '../harness/jwt.js';
import {
  createTestDatabase,
  RunningApp,
  startApp,
  TestDatabase,
  testRedisUrl,
} from '../harness/test-app.js';

const PREFIX = `sc-${process.pid}:`;
/** Longer than the whole file: without invalidation, a revoked session would stay usable in every test. */
const CACHE = {
  SESSION_CACHE_SECONDS: '300',
  AUTH_THROTTLE_LIMIT: '1000',
  THROTTLE_LIMIT: '10000',
};

const me = (app: RunningApp, session: Session) =>
  app
    .http()
    .get('/api/v1/auth/me')
    .set(...bearer(session));

/** Statuses of GET /auth/me on each process, in order. */
const statuses = async (apps: RunningApp[], session: Session): Promise<number[]> => {
  const out: number[] = [];
  for (const app of apps) out.push((await me(app, session)).status);
  return out;
};

describe('Cached session checks: a revoked session is refused on its next request in every process (e2e)', () => {
  let db: TestDatabase;
  let a: RunningApp;
  let b: RunningApp;
  let admin: Session;
  beforeAll(async () => {
    db = await createTestDatabase();
    const env = { ...CACHE, REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: PREFIX };
    [a, b] = await Promise.all([startApp(db, env), startApp(db, env)]);
    admin = await loginAsSuperAdmin(a);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
  });

  /** A fresh user signed in on A, whose session both processes have just found live (and remembered). */
  async function cachedEverywhere(): Promise<Session & { email: string }> {
    const user = await createUser(a, admin, 'provincial_admin', 'province', 'GP');
    expect(await statuses([a, b, a, b], user)).toEqual([200, 200, 200, 200]);
    return user;
  }

  it('remembers a live session: a session key deleted behind its back still answers (the cache is on)', async () => {
    const user = await cachedEverywhere();
    const redis = new Redis(testRedisUrl());
    try {
      const sid = decodeJwt(user.accessToken).payload.sid as string;
      expect(await redis.del(`${PREFIX}session:${sid}`)).toBe(1);
    } finally {
      redis.disconnect();
    }
    // Not a revocation path: only the session store's own revocations tell the processes.
    expect(await statuses([a, b], user)).toEqual([200, 200]);
  });

  it('logout through A: refused on B and on A at once', async () => {
    const user = await cachedEverywhere();
    await a
      .http()
      .post('/api/v1/auth/logout')
      .set(...bearer(user))
      .expect(204);
    expect(await statuses([b, a], user)).toEqual([401, 401]);
    expect(await statuses([a, b], admin)).toEqual([200, 200]);
  });

  it('logout-all through B: every session of the user refused on A and on B', async () => {
    const user = await cachedEverywhere();
    const second = await login(b, user.email, TEST_PASSWORD);
    expect(await statuses([a, b], second)).toEqual([200, 200]);
    await b
      .http()
      .post('/api/v1/auth/logout-all')
      .set(...bearer(second))
      .expect(204);
    expect(await statuses([a, b], user)).toEqual([401, 401]);
    expect(await statuses([a, b], second)).toEqual([401, 401]);
  });

  it('disabling the user through A: refused on B and on A', async () => {
    const user = await cachedEverywhere();
    await a
      .http()
      .post(`/api/v1/users/${user.userId}/disable`)
      .set(...bearer(admin))
      .expect(200);
    expect(await statuses([b, a], user)).toEqual([401, 401]);
  });

  it('a reused refresh token ends the session: refused on A and on B', async () => {
    const user = await cachedEverywhere();
    await b
      .http()
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: user.refreshToken })
      .expect(200);
    await a
      .http()
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: user.refreshToken })
      .expect(401);
    expect(await statuses([b, a], user)).toEqual([401, 401]);
  });

  it('a password change through A: the other sessions refused on B', async () => {
    const user = await cachedEverywhere();
    const other = await login(b, user.email, TEST_PASSWORD);
    expect(await statuses([a, b], other)).toEqual([200, 200]);
    await a
      .http()
      .post('/api/v1/auth/change-password')
      .set(...bearer(user))
      .send({ currentPassword: TEST_PASSWORD, newPassword: 'Another-Ward-Pass-2027!' })
      .expect((res) => expect(res.status).toBeLessThan(300));
    expect(await statuses([b, a], other)).toEqual([401, 401]);
  });
});

describe('Cached session checks without Redis (one process) (e2e)', () => {
  let db: TestDatabase;
  let app: RunningApp;
  let admin: Session;
  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startApp(db, CACHE);
    admin = await loginAsSuperAdmin(app);
  });
  afterAll(async () => {
    await app?.stop();
    await db?.drop();
  });

  it('refuses a session on the next request after logout, logout-all and disabling', async () => {
    const one = await createUser(app, admin, 'provincial_admin', 'province', 'GP');
    expect(await statuses([app, app], one)).toEqual([200, 200]);
    await app
      .http()
      .post('/api/v1/auth/logout')
      .set(...bearer(one))
      .expect(204);
    expect(await statuses([app], one)).toEqual([401]);

    const two = await createUser(app, admin, 'provincial_admin', 'province', 'GP');
    const twoAgain = await login(app, two.email, TEST_PASSWORD);
    expect(await statuses([app, app], two)).toEqual([200, 200]);
    expect(await statuses([app], twoAgain)).toEqual([200]);
    await app
      .http()
      .post('/api/v1/auth/logout-all')
      .set(...bearer(twoAgain))
      .expect(204);
    expect(await statuses([app], two)).toEqual([401]);

    const three = await createUser(app, admin, 'provincial_admin', 'province', 'GP');
    expect(await statuses([app, app], three)).toEqual([200, 200]);
    await app
      .http()
      .post(`/api/v1/users/${three.userId}/disable`)
      .set(...bearer(admin))
      .expect(200);
    expect(await statuses([app], three)).toEqual([401]);
  });
});
