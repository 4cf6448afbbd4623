import { randomBytes } from 'node:crypto';
import { bearer, createUser, loginAsSuperAdmin, Session, TEST_PASSWORD } from '../harness/auth.js';
import { nextIp } from '../harness/accounts.js';
import { decodeJwt } from '../harness/jwt.js';
import {
  createTestDatabase,
  RunningApp,
  startApp,
  TestDatabase,
  testRedisUrl,
} from '../harness/test-app.js';

interface ListedSession {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  address: string | null;
  userAgent: string | null;
  current: boolean;
}

const ENV = { SESSION_CACHE_SECONDS: '300', AUTH_THROTTLE_LIMIT: '1000', THROTTLE_LIMIT: '10000' };
const sid = (session: Session): string => decodeJwt(session.accessToken).payload.sid as string;

describe.each([
  ['Redis, two processes with the session cache on', true],
  ['in-process', false],
])('GET and DELETE /auth/sessions with the %s store (e2e)', (_name, withRedis) => {
  let db: TestDatabase;
  let apps: RunningApp[];
  let admin: Session;
  beforeAll(async () => {
    db = await createTestDatabase();
    const prefix = `as${randomBytes(4).toString('hex')}:`;
    apps = withRedis
      ? await Promise.all(
          [0, 1].map(() =>
            startApp(db, {
              ...ENV,
              REDIS_URL: testRedisUrl(),
              REDIS_KEY_PREFIX: prefix,
            }),
          ),
        )
      : [await startApp(db, ENV)];
    admin = await loginAsSuperAdmin(apps[0] as RunningApp);
  });
  afterAll(async () => {
    await Promise.all((apps ?? []).map((app) => app.stop()));
    await db?.drop();
  });

  const first = (): RunningApp => apps[0] as RunningApp;
  const last = (): RunningApp => apps[apps.length - 1] as RunningApp;
  const me = (app: RunningApp, session: Session) =>
    app
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(session));
  const list = async (session: Session): Promise<ListedSession[]> => {
    const res = await first()
      .http()
      .get('/api/v1/auth/sessions')
      .set(...bearer(session))
      .expect(200);
    return res.body as ListedSession[];
  };
  const signInFrom = async (email: string, ip: string, userAgent: string): Promise<Session> => {
    const res = await first()
      .http()
      .post('/api/v1/auth/login')
      .set('x-forwarded-for', ip)
      .set('user-agent', userAgent)
      .send({ email, password: TEST_PASSWORD })
      .expect(200);
    const body = res.body as { accessToken: string; refreshToken: string; user: { id: string } };
    return { accessToken: body.accessToken, refreshToken: body.refreshToken, userId: body.user.id };
  };

  it('lists both sign-ins with address, user agent and which is current; ending one refuses its tokens at once', async () => {
    const user = await createUser(first(), admin, 'provincial_admin', 'province', 'GP');
    // the user's own sign-in from createUser is ended first, so the list holds exactly the two below
    await first()
      .http()
      .post('/api/v1/auth/logout')
      .set(...bearer(user))
      .expect(204);
    const [ipA, ipB] = [nextIp(), nextIp()];
    const laptop = await signInFrom(user.email, ipA, 'Laptop-Browser/1.0');
    const phone = await signInFrom(user.email, ipB, 'Phone-App/2.0');

    const listed = await list(laptop);
    expect(listed).toHaveLength(2);
    const byId = new Map(listed.map((s) => [s.id, s]));
    expect(byId.get(sid(laptop))).toMatchObject({
      address: ipA,
      userAgent: 'Laptop-Browser/1.0',
      current: true,
    });
    expect(byId.get(sid(phone))).toMatchObject({
      address: ipB,
      userAgent: 'Phone-App/2.0',
      current: false,
    });
    const phoneBefore = byId.get(sid(phone)) as ListedSession;
    expect(phoneBefore.lastUsedAt).toBe(phoneBefore.createdAt);
    expect(JSON.stringify(listed)).not.toContain('refresh');

    // a refresh moves "last used"
    await new Promise((r) => setTimeout(r, 20));
    const refreshed = await first()
      .http()
      .post('/api/v1/auth/refresh')
      .set('x-forwarded-for', nextIp())
      .send({ refreshToken: phone.refreshToken })
      .expect(200);
    const phoneNow = (await list(laptop)).find((s) => s.id === sid(phone)) as ListedSession;
    expect(Date.parse(phoneNow.lastUsedAt)).toBeGreaterThan(Date.parse(phoneNow.createdAt));
    const phoneTokens = refreshed.body as Session;

    // every process has the phone's session live (and, with the cache on, remembered) before it ends
    for (const app of apps) await me(app, phoneTokens).expect(200);
    await first()
      .http()
      .delete(`/api/v1/auth/sessions/${sid(phone)}`)
      .set(...bearer(laptop))
      .expect(204);
    for (const app of [last(), first()]) await me(app, phoneTokens).expect(401);
    await first()
      .http()
      .post('/api/v1/auth/refresh')
      .set('x-forwarded-for', nextIp())
      .send({ refreshToken: phoneTokens.refreshToken })
      .expect(401);
    for (const app of apps) await me(app, laptop).expect(200);
    expect((await list(laptop)).map((s) => s.id)).toEqual([sid(laptop)]);

    // already ended: nothing left to end
    await first()
      .http()
      .delete(`/api/v1/auth/sessions/${sid(phone)}`)
      .set(...bearer(laptop))
      .expect(404);
  });

  it("another user's session id answers 404 and that session stays live", async () => {
    const owner = await createUser(first(), admin, 'provincial_admin', 'province', 'GP');
    const other = await createUser(first(), admin, 'provincial_admin', 'province', 'GP');
    const res = await first()
      .http()
      .delete(`/api/v1/auth/sessions/${sid(owner)}`)
      .set(...bearer(other))
      .expect(404);
    expect((res.body as { code: string }).code).toBe('NOT_FOUND');
    for (const app of apps) await me(app, owner).expect(200);
    expect((await list(other)).map((s) => s.id)).toEqual([sid(other)]);
    // a super admin cannot end someone else's session through this route either
    await first()
      .http()
      .delete(`/api/v1/auth/sessions/${sid(owner)}`)
      .set(...bearer(admin))
      .expect(404);
    await me(first(), owner).expect(200);
  });

  it('unknown and malformed ids answer 404', async () => {
    for (const id of ['x', 'A'.repeat(24), 'a'.repeat(300)])
      await first()
        .http()
        .delete(`/api/v1/auth/sessions/${id}`)
        .set(...bearer(admin))
        .expect(404);
  });

  it('answers 401 without a valid access token', async () => {
    await first().http().get('/api/v1/auth/sessions').expect(401);
    await first()
      .http()
      .delete(`/api/v1/auth/sessions/${sid(admin)}`)
      .expect(401);
    await first()
      .http()
      .get('/api/v1/auth/sessions')
      .set('authorization', 'Bearer not-a-token')
      .expect(401);
    await me(first(), admin).expect(200);
  });
});
