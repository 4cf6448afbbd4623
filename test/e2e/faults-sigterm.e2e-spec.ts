import { randomBytes } from 'node:crypto';
import { loginAsSuperAdmin } from '../harness/auth.js';
import { Outcome, runLoad, sleep } from '../harness/load.js';
import {
  createTestDatabase,
  RunningApp,
  startApp,
  TEST_ADMIN,
  TestDatabase,
  testRedisUrl,
} from '../harness/test-app.js';

const SHUTDOWN_TIMEOUT_MS = 8000;

function describeOutcomes(outcomes: Outcome[]): string {
  const counts = new Map<string, number>();
  for (const o of outcomes) {
    const key = `${o.tag} ${o.status ?? o.error}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return JSON.stringify(Object.fromEntries(counts));
}

/**
 * SIGTERM while under real load: the process stops accepting connections, finishes what it started
 * (including slow argon2 sign-ins), answers nothing with a 5xx, and exits 0 within SHUTDOWN_TIMEOUT_MS, while
 * a second process of the same deployment keeps answering everything.
 */
describe('Faults: SIGTERM under load (e2e)', () => {
  let db: TestDatabase;
  let app: RunningApp;
  /** A second process of the same deployment (same database and Redis), as PM2's cluster runs them. */
  let other: RunningApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    const env = {
      REDIS_URL: testRedisUrl(),
      REDIS_KEY_PREFIX: `sigterm-${randomBytes(4).toString('hex')}:`,
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      THROTTLE_LIMIT: '1000000',
      AUTH_THROTTLE_LIMIT: '1000000',
      LOG_LEVEL: 'warn',
    };
    [app, other] = await Promise.all([startApp(db, env), startApp(db, env)]);
  });
  afterAll(async () => {
    await app?.stop('SIGKILL');
    await other?.stop();
    await db?.drop();
  });

  it('finishes in-flight requests, refuses new connections, never answers 5xx and exits 0 in time', async () => {
    const admin = await loginAsSuperAdmin(app);
    const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
      app.process.once('exit', (code) => resolve({ code, at: Date.now() })),
    );
    const provinces = ['GP', 'KZN', 'WC', 'EC', 'LP', 'MP', 'NW', 'FS', 'NC'];
    const json = { 'content-type': 'application/json' };
    // Slow requests (an argon2 verification each) on their own workers, so they do not starve the rest.
    const logins = runLoad(3, () => ({
      url: `${app.baseUrl}/api/v1/auth/login`,
      init: { method: 'POST', headers: json, body: JSON.stringify(TEST_ADMIN) },
      tag: 'login',
    }));
    const reads = runLoad(8, (i) =>
      i % 2 === 0
        ? {
            url: `${app.baseUrl}/api/v1/users?limit=20`,
            init: { headers: { authorization: `Bearer ${admin.accessToken}` } },
            tag: 'users',
          }
        : {
            url: `${app.baseUrl}/api/v1/geography/provinces/${provinces[i % provinces.length]}`,
            tag: 'read',
          },
    );
    // The other process, with a token issued by the one that will stop.
    const elsewhere = runLoad(3, (i) =>
      i % 2 === 0
        ? {
            url: `${other.baseUrl}/api/v1/users?limit=20`,
            init: { headers: { authorization: `Bearer ${admin.accessToken}` } },
            tag: 'other-users',
          }
        : { url: `${other.baseUrl}/api/v1/geography/provinces`, tag: 'other-read' },
    );
    // The runs started together; one clock (ms since the runs started) for all is precise enough.
    const load = reads;

    await sleep(3000);
    const sigtermAt = load.now();
    const sigtermWall = Date.now();
    app.process.kill('SIGTERM');
    const exit = await exited;
    const exitedAt = load.now();
    // Keep knocking for a moment after the exit: nothing may answer any more.
    await sleep(300);
    const outcomes = [...(await logins.stop()), ...(await reads.stop())];
    const summary = describeOutcomes(outcomes);
    const otherOutcomes = await elsewhere.stop();

    // Exit 0, within the shutdown budget.
    expect({ code: exit.code, output: exit.code === 0 ? '' : app.output() }).toEqual({
      code: 0,
      output: '',
    });
    expect(exit.at - sigtermWall).toBeLessThan(SHUTDOWN_TIMEOUT_MS);

    // Real load before the signal, all of it answered well.
    const before = outcomes.filter((o) => o.end < sigtermAt);
    expect(before.length).toBeGreaterThan(10);
    expect(before.filter((o) => o.tag === 'login' && o.status === 200).length).toBeGreaterThan(0);

    // No answer at all was a 5xx (or anything but the expected success).
    const answered = outcomes.filter((o) => o.status !== null);
    expect({ bad: answered.filter((o) => o.status !== 200).slice(0, 3), summary }).toEqual({
      bad: [],
      summary,
    });

    // Requests in flight when the signal came were finished, slow sign-ins included.
    const inFlight = outcomes.filter((o) => o.start < sigtermAt && o.end >= sigtermAt);
    expect(inFlight.length).toBeGreaterThan(0);
    expect({ unanswered: inFlight.filter((o) => o.status === null), summary }).toEqual({
      unanswered: [],
      summary,
    });
    expect(inFlight.some((o) => o.tag === 'login')).toBe(true);

    // Whatever got no answer was refused at connect (the listener was closed), not reset mid-request.
    const failed = outcomes.filter((o) => o.status === null);
    expect(failed.length).toBeGreaterThan(0);
    expect({ errors: [...new Set(failed.map((o) => o.error))], summary }).toEqual({
      errors: ['ECONNREFUSED'],
      summary,
    });
    // And nothing was answered after the process had gone.
    expect(answered.filter((o) => o.end > exitedAt + 50)).toEqual([]);

    // Only the closing process refused anything: the other one answered everything, before and after.
    expect(other.process.exitCode).toBeNull();
    expect(otherOutcomes.filter((o) => o.start > exitedAt).length).toBeGreaterThan(0);
    expect({
      bad: otherOutcomes.filter((o) => o.status !== 200).slice(0, 3),
      summary: describeOutcomes(otherOutcomes),
    }).toEqual({ bad: [], summary: describeOutcomes(otherOutcomes) });

    // Nothing failed inside the app while it closed (pools and Redis closed only after the drain).
    expect(app.output()).not.toMatch(/Unhandled error|ECONNREFUSED|Connection terminated/);
  });
});
