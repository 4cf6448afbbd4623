import { jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type { Response } from 'supertest';
import { TEST_PASSWORD } from '../harness/auth.js';
import { loginRequest, makeUser, nextIp, signIn, stable } from '../harness/accounts.js';
import {
  createTestDatabase,
  RunningApp,
  startApp,
  TEST_ADMIN,
  TestDatabase,
  testRedisUrl,
} from '../harness/test-app.js';

// Starts several API processes; under a loaded machine each takes a while.
jest.setTimeout(180_000);

const MAX_FAILURES = 5;
const WRONG_GUESSES = 24;

describe.each([
  ['two API processes sharing Redis', true],
  ['one process with in-process stores', false],
])('#15.8 lockout loses to a parallel burst (%s)', (_name, withRedis) => {
  let db: TestDatabase;
  let apps: RunningApp[];
  beforeAll(async () => {
    db = await createTestDatabase();
    const env: Record<string, string> = {
      LOGIN_MAX_FAILURES: String(MAX_FAILURES),
      LOGIN_LOCK_SECONDS: '900',
      LOGIN_FAILURE_WINDOW_SECONDS: '900',
      // Every request of the burst comes from its own address (nextIp): no per-address limit hides the result.
      AUTH_THROTTLE_LIMIT: '1000',
      ...(withRedis
        ? { REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: `burst${randomBytes(3).toString('hex')}:` }
        : {}),
    };
    // One after the other: two starting at once may miss the harness's start deadline on a loaded machine.
    apps = [await startApp(db, env)];
    if (withRedis) apps.push(await startApp(db, env));
  });
  afterAll(async () => {
    await Promise.all((apps ?? []).map((app) => app.stop()));
    await db?.drop();
  });

  it(`${WRONG_GUESSES} wrong guesses and the right password sent together: no token, the account ends locked`, async () => {
    const admin = await signIn(apps[0]!, TEST_ADMIN.email, TEST_ADMIN.password);
    const user = await makeUser(apps[0]!, admin, 'provincial_admin', 'province', 'GP');

    // All in flight at once, spread over the processes; the right password goes last.
    const burst: Promise<Response>[] = [];
    for (let i = 0; i < WRONG_GUESSES; i += 1)
      burst.push(loginRequest(apps[i % apps.length]!, user.email, `Wrong-Guess-${i}-2026!`));
    burst.push(loginRequest(apps[WRONG_GUESSES % apps.length]!, user.email, TEST_PASSWORD));
    const answers = await Promise.all(burst);

    const right = answers[WRONG_GUESSES]!;
    expect(answers.map((res) => res.status)).toEqual(answers.map(() => 401));
    for (const res of answers) expect(stable(res.body)).toEqual(stable(answers[0]!.body));
    expect(right.body.accessToken).toBeUndefined();

    // Only the first LOGIN_MAX_FAILURES attempts were judged on the password; every later one was refused as
    // locked, whichever process it reached.
    const { rows: reasons } = await db.pool.query<{ reason: string; n: number }>(
      `SELECT changes->>'reason' AS reason, count(*)::int AS n FROM audit_events
        WHERE action = 'auth.login_failed' AND entity_id = $1 GROUP BY 1 ORDER BY 1`,
      [user.id],
    );
    expect(reasons).toEqual([
      { reason: 'locked', n: WRONG_GUESSES + 1 - MAX_FAILURES },
      { reason: 'wrong_password', n: MAX_FAILURES },
    ]);
    const { rows } = await db.pool.query(
      `SELECT locked_until > now() AS locked, last_login_at,
              (SELECT count(*)::int FROM audit_events
                WHERE action = 'auth.login_succeeded' AND entity_id = users.id::text) AS sign_ins
         FROM users WHERE id = $1`,
      [user.id],
    );
    expect(rows[0]).toEqual({ locked: true, last_login_at: null, sign_ins: 0 });

    // Still locked afterwards, on every process, with the same answer as any wrong password.
    for (const app of apps) {
      const later = await loginRequest(app, user.email, TEST_PASSWORD);
      expect(later.status).toBe(401);
      expect(stable(later.body)).toEqual(stable(answers[0]!.body));
    }
  });

  it('an unknown email answers a burst exactly as a known one does', async () => {
    const email = `nobody.${randomBytes(4).toString('hex')}@test.local`;
    const answers = await Promise.all(
      Array.from({ length: MAX_FAILURES + 3 }, (_, i) =>
        loginRequest(apps[i % apps.length]!, email, `Wrong-Guess-${i}-2026!`),
      ),
    );
    expect(answers.map((res) => res.status)).toEqual(answers.map(() => 401));
    expect(stable(answers.at(-1)!.body)).toMatchObject({ code: 'INVALID_CREDENTIALS' });
  });
});

describe('the per-address sign-in limit loses to a parallel burst (two processes sharing Redis)', () => {
  const PER_ADDRESS = 4;
  let db: TestDatabase;
  let apps: RunningApp[];
  beforeAll(async () => {
    db = await createTestDatabase();
    const env: Record<string, string> = {
      LOGIN_MAX_FAILURES_PER_IP: String(PER_ADDRESS),
      LOGIN_MAX_FAILURES: '100',
      LOGIN_FAILURE_WINDOW_SECONDS: '900',
      AUTH_THROTTLE_LIMIT: '1000',
      REDIS_URL: testRedisUrl(),
      REDIS_KEY_PREFIX: `ipburst${randomBytes(3).toString('hex')}:`,
    };
    apps = [await startApp(db, env)];
    apps.push(await startApp(db, env));
  });
  afterAll(async () => {
    await Promise.all((apps ?? []).map((app) => app.stop()));
    await db?.drop();
  });

  it('judges only LOGIN_MAX_FAILURES_PER_IP guesses of a burst from one address; sign-ins that succeed never count', async () => {
    const address = nextIp();
    for (let i = 0; i < PER_ADDRESS + 2; i += 1) {
      const ok = await loginRequest(apps[i % 2]!, TEST_ADMIN.email, TEST_ADMIN.password, address);
      expect(ok.status).toBe(200);
    }

    const guesses = 3 * PER_ADDRESS;
    const answers = await Promise.all(
      Array.from({ length: guesses }, (_, i) =>
        loginRequest(
          apps[i % 2]!,
          `guess${i}.${randomBytes(3).toString('hex')}@test.local`,
          `Wrong-Guess-${i}-2026!`,
          address,
        ),
      ),
    );
    const statuses = answers.map((res) => res.status).sort();
    expect(statuses).toEqual([
      ...Array.from({ length: PER_ADDRESS }, () => 401),
      ...Array.from({ length: guesses - PER_ADDRESS }, () => 429),
    ]);
    const { rows } = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_events WHERE action = 'auth.login_failed'`,
    );
    expect(rows[0]!.n).toBe(PER_ADDRESS);

    // The address is now refused even with the right password; another address is not.
    const refused = await loginRequest(apps[0]!, TEST_ADMIN.email, TEST_ADMIN.password, address);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: 'RATE_LIMITED' });
    await loginRequest(apps[1]!, TEST_ADMIN.email, TEST_ADMIN.password).then((res) =>
      expect(res.status).toBe(200),
    );
  });
});
