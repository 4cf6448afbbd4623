import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { TEST_PASSWORD, Session } from '../harness/auth.js';
import { loginRequest, makeUser, nextIp, signIn, stable } from '../harness/accounts.js';
import { decodeJwt, signJwt, tamperJwt, unsignedJwt } from '../harness/jwt.js';
import {
  RunningApp,
  startApp,
  startTestContext,
  TEST_ADMIN,
  TEST_JWT_SECRET,
  TestContext,
  testRedisUrl,
} from '../harness/test-app.js';

const LOCK_SECONDS = 2;
const AUTH_ENV = {
  LOGIN_MAX_FAILURES: '3',
  LOGIN_LOCK_SECONDS: String(LOCK_SECONDS),
  LOGIN_FAILURE_WINDOW_SECONDS: '60',
  LOGIN_MAX_FAILURES_PER_IP: '6',
  AUTH_THROTTLE_LIMIT: '20',
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.each([
  ['Redis', true],
  ['in-process', false],
])('authentication with the %s session store (e2e)', (_name, withRedis) => {
  let ctx: TestContext;
  let app: RunningApp;
  let admin: Session;
  const redisEnv = (): Record<string, string> =>
    withRedis
      ? {
          REDIS_URL: testRedisUrl(),
          REDIS_KEY_PREFIX: `t${randomBytes(4).toString('hex')}:`,
        }
      : {};
  let env: Record<string, string>;

  beforeAll(async () => {
    env = { ...AUTH_ENV, ...redisEnv() };
    ctx = await startTestContext(env);
    app = ctx.app;
    admin = await signIn(app, TEST_ADMIN.email, TEST_ADMIN.password);
  });
  afterAll(() => ctx?.close());

  const me = (token: string) =>
    app.http().get('/api/v1/auth/me').set('authorization', `Bearer ${token}`);
  const refresh = (refreshToken: string) =>
    app.http().post('/api/v1/auth/refresh').set('x-forwarded-for', nextIp()).send({ refreshToken });
  const auditCount = async (action: string, entityId: string): Promise<number> => {
    const { rows } = await ctx.db.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM audit_events WHERE action = $1 AND entity_id = $2',
      [action, entityId],
    );
    return rows[0]?.n ?? 0;
  };

  it('signs in with { accessToken, refreshToken, expiresIn, user } and a pinned, short-lived JWT', async () => {
    const user = await makeUser(app, admin, 'provincial_admin', 'province', 'GP');
    const res = await loginRequest(app, user.email.toUpperCase(), TEST_PASSWORD);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      accessToken: expect.any(String),
      refreshToken: expect.stringMatching(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/),
      expiresIn: 900,
      tokenType: 'Bearer',
      passwordChangeRequired: false,
      user: {
        id: user.id,
        email: user.email,
        name: 'Test provincial_admin',
        role: 'provincial_admin',
        scopeLevel: 'province',
        scopeCode: 'GP',
        memberId: null,
      },
    });
    const { header, payload } = decodeJwt(res.body.accessToken);
    expect(header.alg).toBe('HS256');
    expect(payload).toMatchObject({
      sub: user.id,
      iss: 'eff-membership-api',
      aud: 'eff-membership-portal',
      role: 'provincial_admin',
      scope: { level: 'province', code: 'GP' },
    });
    expect(Number(payload.exp) - Number(payload.iat)).toBe(900);
    const who = await me(res.body.accessToken).expect(200);
    expect(who.body).toMatchObject({ id: user.id, role: 'provincial_admin', scopeCode: 'GP' });
    const { rows } = await ctx.db.pool.query(
      'SELECT last_login_at, failed_login_count FROM users WHERE id = $1',
      [user.id],
    );
    expect(rows[0].last_login_at).not.toBeNull();
  });

  it('refuses requests without a token or with a malformed one', async () => {
    const none = await app.http().get('/api/v1/auth/me').expect(401);
    expect(none.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(none.body).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    await me('not-a-jwt').expect(401);
    await app.http().get('/api/v1/auth/me').set('authorization', 'Basic abc').expect(401);
  });

  it('rotates the refresh token on every use; a reused one ends the whole session family', async () => {
    const user = await makeUser(app, admin, 'ward_admin', 'ward', '79800001');
    const first = await signIn(app, user.email, TEST_PASSWORD);
    const other = await signIn(app, user.email, TEST_PASSWORD);

    const r1 = await refresh(first.refreshToken).expect(200);
    expect(r1.body).toEqual({
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      expiresIn: 900,
      tokenType: 'Bearer',
      passwordChangeRequired: false,
    });
    expect(r1.body.refreshToken).not.toBe(first.refreshToken);
    const r2 = await refresh(r1.body.refreshToken).expect(200);
    await me(r2.body.accessToken).expect(200);

    // The first token again: reuse. The family (every token of this session) is revoked.
    const reused = await refresh(first.refreshToken).expect(401);
    expect(reused.body).toMatchObject({ code: 'UNAUTHENTICATED' });
    await refresh(r2.body.refreshToken).expect(401);
    await me(r2.body.accessToken).expect(401);
    await me(first.accessToken).expect(401);
    // Another session of the same user is untouched.
    await me(other.accessToken).expect(200);
    await refresh(other.refreshToken).expect(200);

    const sid = decodeJwt(first.accessToken).payload.sid as string;
    const { rows } = await ctx.db.pool.query(
      `SELECT changes FROM audit_events WHERE action = 'auth.refresh_reused' AND entity_id = $1`,
      [sid],
    );
    expect(rows).toEqual([{ changes: { revoked: 'session family', userId: user.id } }]);
  });

  it('refuses unknown and malformed refresh tokens with 401 / 400', async () => {
    await refresh(
      `${randomBytes(18).toString('base64url')}.${randomBytes(32).toString('base64url')}`,
    ).expect(401);
    await refresh('garbage').expect(401);
    const missing = await app
      .http()
      .post('/api/v1/auth/refresh')
      .set('x-forwarded-for', nextIp())
      .send({})
      .expect(400);
    expect(missing.body).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('logout ends this session at once; logout-all ends every session', async () => {
    const user = await makeUser(app, admin, 'auditor', 'province', 'LP');
    const a = await signIn(app, user.email, TEST_PASSWORD);
    const b = await signIn(app, user.email, TEST_PASSWORD);
    const c = await signIn(app, user.email, TEST_PASSWORD);

    await app
      .http()
      .post('/api/v1/auth/logout')
      .set('authorization', `Bearer ${a.accessToken}`)
      .expect(204);
    await me(a.accessToken).expect(401);
    await refresh(a.refreshToken).expect(401);
    await me(b.accessToken).expect(200);

    await app
      .http()
      .post('/api/v1/auth/logout-all')
      .set('authorization', `Bearer ${b.accessToken}`)
      .expect(204);
    await me(b.accessToken).expect(401);
    await me(c.accessToken).expect(401);
    await refresh(c.refreshToken).expect(401);
    expect(await auditCount('auth.sessions_revoked', user.id)).toBe(1);
    // Signing in again works.
    await signIn(app, user.email, TEST_PASSWORD);
  });

  it('change-password checks the current password and the rules, then ends every session', async () => {
    const user = await makeUser(app, admin, 'regional_admin', 'district', 'DC42');
    const a = await signIn(app, user.email, TEST_PASSWORD);
    const b = await signIn(app, user.email, TEST_PASSWORD);
    const change = (session: Session, body: Record<string, unknown>) =>
      app
        .http()
        .post('/api/v1/auth/change-password')
        .set('authorization', `Bearer ${session.accessToken}`)
        .set('x-forwarded-for', nextIp())
        .send(body);
    const before = await ctx.db.pool.query('SELECT password_hash FROM users WHERE id = $1', [
      user.id,
    ]);

    const wrong = await change(a, {
      currentPassword: 'Not-My-Password-99',
      newPassword: 'Brand-New-Secret-4417',
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'currentPassword' }],
    });
    for (const weak of [
      'short1!',
      'Password12345!',
      'qwertyuiop123',
      '111111111111111',
      user.email,
    ]) {
      const res = await change(a, { currentPassword: TEST_PASSWORD, newPassword: weak });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        code: 'VALIDATION_FAILED',
        errors: [{ field: 'newPassword' }],
      });
    }
    await change(a, { currentPassword: TEST_PASSWORD, newPassword: 'x'.repeat(300) }).expect(400);
    const after = await ctx.db.pool.query('SELECT password_hash FROM users WHERE id = $1', [
      user.id,
    ]);
    expect(after.rows[0].password_hash).toBe(before.rows[0].password_hash);
    await me(a.accessToken).expect(200);

    await change(a, {
      currentPassword: TEST_PASSWORD,
      newPassword: 'Brand-New-Secret-4417',
    }).expect(204);
    await me(a.accessToken).expect(401);
    await me(b.accessToken).expect(401);
    await refresh(b.refreshToken).expect(401);
    expect((await loginRequest(app, user.email, TEST_PASSWORD)).status).toBe(401);
    await signIn(app, user.email, 'Brand-New-Secret-4417');
    const { rows } = await ctx.db.pool.query(
      'SELECT password_hash, password_changed_at FROM users WHERE id = $1',
      [user.id],
    );
    expect(rows[0].password_hash).toMatch(/^\$argon2id\$/);
    expect(rows[0].password_changed_at.getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it('locks an account after LOGIN_MAX_FAILURES with growing delays, and the lock expires', async () => {
    const user = await makeUser(app, admin, 'subregional_admin', 'municipality', 'GT421');
    const ip = nextIp();
    expect((await loginRequest(app, user.email, 'Wrong-Password-0001', ip)).status).toBe(401);
    expect((await loginRequest(app, user.email, 'Wrong-Password-0002', ip)).status).toBe(401);
    const started = Date.now();
    const third = await loginRequest(app, user.email, 'Wrong-Password-0003', ip);
    expect(third.status).toBe(401);
    expect(Date.now() - started).toBeGreaterThanOrEqual(240); // the third failure waits
    const { rows } = await ctx.db.pool.query(
      'SELECT locked_until, failed_login_count FROM users WHERE id = $1',
      [user.id],
    );
    expect(rows[0].locked_until).not.toBeNull();
    expect(rows[0].failed_login_count).toBe(3);

    // Locked: even the right password is refused, with the same answer as a wrong one.
    const locked = await loginRequest(app, user.email, TEST_PASSWORD, nextIp());
    expect(locked.status).toBe(401);
    expect(stable(locked.body)).toEqual(stable(third.body));

    await sleep(LOCK_SECONDS * 1000 + 300);
    const ok = await loginRequest(app, user.email, TEST_PASSWORD, nextIp());
    expect(ok.status).toBe(200);
    const cleared = await ctx.db.pool.query(
      'SELECT locked_until, failed_login_count FROM users WHERE id = $1',
      [user.id],
    );
    expect(cleared.rows[0]).toEqual({ locked_until: null, failed_login_count: 0 });
  });

  it('answers unknown email, wrong password, locked and disabled accounts identically', async () => {
    const user = await makeUser(app, admin, 'auditor', 'province', 'WC');
    const lockedUser = await makeUser(app, admin, 'auditor', 'province', 'NC');
    const disabledUser = await makeUser(app, admin, 'auditor', 'province', 'FS');
    await ctx.db.pool.query(
      `UPDATE users SET locked_until = now() + interval '1 hour' WHERE id = $1`,
      [lockedUser.id],
    );
    await app
      .http()
      .post(`/api/v1/users/${disabledUser.id}/disable`)
      .set('authorization', `Bearer ${admin.accessToken}`)
      .expect(200);

    const answers = [
      await loginRequest(app, `nobody.${randomBytes(3).toString('hex')}@test.local`, TEST_PASSWORD),
      await loginRequest(app, user.email, 'Wrong-Password-1234'),
      await loginRequest(app, lockedUser.email, TEST_PASSWORD),
      await loginRequest(app, disabledUser.email, TEST_PASSWORD),
    ];
    for (const res of answers) {
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(stable(res.body)).toEqual({
        type: 'urn:eff:problem:invalid-credentials',
        title: 'Invalid credentials',
        status: 401,
        detail: 'Email or password is incorrect',
        code: 'INVALID_CREDENTIALS',
        instance: '/api/v1/auth/login',
      });
    }
  });

  it('takes similar time for an unknown email and a wrong password (both verify an argon2 hash)', async () => {
    const user = await makeUser(app, admin, 'auditor', 'province', 'MP');
    const time = async (email: string): Promise<number> => {
      const started = process.hrtime.bigint();
      await loginRequest(app, email, 'Wrong-Password-5678');
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    await time(`warm.${randomBytes(3).toString('hex')}@test.local`);
    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      unknown.push(await time(`ghost${i}.${randomBytes(3).toString('hex')}@test.local`));
      wrong.push(await time(user.email));
    }
    // Not a benchmark: the unknown email must do the same argon2 work, not answer instantly (without it, it
    // answers in a few per cent of the time). The fastest of each is compared, since load only ever adds time.
    expect(Math.min(...unknown)).toBeGreaterThan(Math.min(...wrong) * 0.25);
  });

  it('counts failures per client address and refuses it (429) past LOGIN_MAX_FAILURES_PER_IP', async () => {
    const user = await makeUser(app, admin, 'auditor', 'province', 'EC');
    const ip = nextIp();
    for (let i = 0; i < 6; i += 1) {
      const res = await loginRequest(
        app,
        `spray${i}.${randomBytes(3).toString('hex')}@test.local`,
        'Wrong-Password-1',
        ip,
      );
      expect(res.status).toBe(401);
    }
    const blocked = await loginRequest(app, user.email, TEST_PASSWORD, ip);
    expect(blocked.status).toBe(429);
    expect(blocked.body).toMatchObject({ code: 'RATE_LIMITED' });
    // Another address is not affected.
    expect((await loginRequest(app, user.email, TEST_PASSWORD, nextIp())).status).toBe(200);
  });

  it('throttles the auth routes with the stricter AUTH_THROTTLE_LIMIT, per client address', async () => {
    const ip = nextIp();
    const statuses: number[] = [];
    for (let i = 0; i < 21; i += 1) {
      const res = await app
        .http()
        .post('/api/v1/auth/refresh')
        .set('x-forwarded-for', ip)
        .send({ refreshToken: 'garbage' });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses[20]).toBe(429);
    // Non-auth routes from the same address are still served.
    await app.http().get('/api/v1/geography/provinces').set('x-forwarded-for', ip).expect(200);
  });

  describe('access tokens', () => {
    let session: Session;
    let payload: Record<string, unknown>;
    beforeAll(async () => {
      const user = await makeUser(app, admin, 'provincial_admin', 'province', 'KZN');
      session = await signIn(app, user.email, TEST_PASSWORD);
      payload = decodeJwt(session.accessToken).payload;
    });
    const now = (): number => Math.floor(Date.now() / 1000);
    const hs256 = { alg: 'HS256', typ: 'JWT' };

    it('accepts a token re-signed with the right key, algorithm, issuer and audience (control)', async () => {
      await me(signJwt(hs256, { ...payload, iat: now(), exp: now() + 60 }, TEST_JWT_SECRET)).expect(
        200,
      );
    });

    it.each([
      [
        'expired',
        () => signJwt(hs256, { ...payload, iat: now() - 1000, exp: now() - 10 }, TEST_JWT_SECRET),
      ],
      [
        'tampered (role raised, signature kept)',
        () =>
          tamperJwt(session.accessToken, {
            ...payload,
            role: 'super_admin',
            scope: { level: 'national', code: null },
          }),
      ],
      ['alg: none', () => unsignedJwt({ ...payload, role: 'super_admin' })],
      [
        'HS512 with the same key (algorithm pinned)',
        () => signJwt({ alg: 'HS512', typ: 'JWT' }, payload, TEST_JWT_SECRET),
      ],
      [
        'signed with another key',
        () => signJwt(hs256, payload, 'another-secret-another-secret-another-secret'),
      ],
      ['wrong issuer', () => signJwt(hs256, { ...payload, iss: 'someone-else' }, TEST_JWT_SECRET)],
      ['wrong audience', () => signJwt(hs256, { ...payload, aud: 'another-app' }, TEST_JWT_SECRET)],
      [
        'for a session that does not exist',
        () =>
          signJwt(
            hs256,
            { ...payload, sid: randomBytes(18).toString('base64url') },
            TEST_JWT_SECRET,
          ),
      ],
      [
        'with an invalid scope',
        () =>
          signJwt(hs256, { ...payload, scope: { level: 'planet', code: 'X' } }, TEST_JWT_SECRET),
      ],
    ])('refuses a token that is %s with 401', async (_label, make) => {
      const res = await me(make()).expect(401);
      expect(res.body).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    });
  });

  it('writes audit rows for login success and failure with the request id and client address', async () => {
    const user = await makeUser(app, admin, 'auditor', 'province', 'NW');
    const ip = nextIp();
    const bad = await loginRequest(app, user.email, 'Wrong-Password-4242', ip);
    const good = await loginRequest(app, user.email, TEST_PASSWORD, ip);
    expect(good.status).toBe(200);
    const { rows } = await ctx.db.pool.query(
      `SELECT action, actor_user_id, entity_id, request_id, ip, changes FROM audit_events
        WHERE entity_id = $1 AND action LIKE 'auth.login%' ORDER BY occurred_at`,
      [user.id],
    );
    expect(rows).toEqual([
      {
        action: 'auth.login_failed',
        actor_user_id: null,
        entity_id: user.id,
        request_id: bad.headers['x-request-id'],
        ip,
        changes: { reason: 'wrong_password' },
      },
      {
        action: 'auth.login_succeeded',
        actor_user_id: user.id,
        entity_id: user.id,
        request_id: good.headers['x-request-id'],
        ip,
        changes: null,
      },
    ]);
  });

  if (withRedis) {
    it('keeps a refreshed session findable by logout-all for as long as it lives', async () => {
      const user = await makeUser(app, admin, 'auditor', 'province', 'LP');
      const session = await signIn(app, user.email, TEST_PASSWORD);
      const redis = new Redis(testRedisUrl());
      try {
        const userKey = `${env.REDIS_KEY_PREFIX}user-sessions:${user.id}`;
        const sessionKey = `${env.REDIS_KEY_PREFIX}session:${decodeJwt(session.accessToken).payload.sid as string}`;
        expect(
          await redis.sismember(userKey, decodeJwt(session.accessToken).payload.sid as string),
        ).toBe(1);
        // As if the session had been refreshed for weeks: its user's set is about to expire.
        await redis.expire(userKey, 5);
        const next = await refresh(session.refreshToken).expect(200);
        expect(await redis.ttl(userKey)).toBeGreaterThanOrEqual((await redis.ttl(sessionKey)) - 1);
        await app
          .http()
          .post('/api/v1/auth/logout-all')
          .set('authorization', `Bearer ${next.body.accessToken}`)
          .expect(204);
        expect(await redis.exists(sessionKey)).toBe(0);
      } finally {
        redis.disconnect();
      }
    });

    it('revocation takes effect at once on every process sharing Redis', async () => {
      const second = await startApp(ctx.db, env);
      try {
        const user = await makeUser(app, admin, 'auditor', 'province', 'GP');
        const a = await signIn(app, user.email, TEST_PASSWORD);
        const b = await signIn(second, user.email, TEST_PASSWORD);
        await second
          .http()
          .get('/api/v1/auth/me')
          .set('authorization', `Bearer ${a.accessToken}`)
          .expect(200);
        await app
          .http()
          .get('/api/v1/auth/me')
          .set('authorization', `Bearer ${b.accessToken}`)
          .expect(200);

        // A refresh token rotated on one process is spent on the other.
        const rotated = await second
          .http()
          .post('/api/v1/auth/refresh')
          .set('x-forwarded-for', nextIp())
          .send({ refreshToken: a.refreshToken })
          .expect(200);
        await refresh(a.refreshToken).expect(401);
        await second
          .http()
          .get('/api/v1/auth/me')
          .set('authorization', `Bearer ${rotated.body.accessToken}`)
          .expect(401);

        await second
          .http()
          .post('/api/v1/auth/logout')
          .set('authorization', `Bearer ${b.accessToken}`)
          .expect(204);
        await me(b.accessToken).expect(401);

        const c = await signIn(app, user.email, TEST_PASSWORD);
        await app
          .http()
          .post(`/api/v1/users/${user.id}/disable`)
          .set('authorization', `Bearer ${admin.accessToken}`)
          .expect(200);
        await second
          .http()
          .get('/api/v1/auth/me')
          .set('authorization', `Bearer ${c.accessToken}`)
          .expect(401);
      } finally {
        await second.stop();
      }
    });
  }
});
