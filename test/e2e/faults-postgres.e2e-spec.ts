import { RestartablePostgres, startRestartablePostgres } from '../harness/restartable-postgres.js';
import { Outcome, runLoad, sleep } from '../harness/load.js';
import { loginAsSuperAdmin } from '../harness/auth.js';
import { memberInput } from '../harness/members.js';
import { RunningApp, startApp } from '../harness/test-app.js';

const CONNECT_TIMEOUT_MS = 2000;
/** No request may wait longer than the pool's connect timeout plus slack: 503 quickly, never hang. */
const BOUND_MS = CONNECT_TIMEOUT_MS + 3000;
const RESUME_MS = 5000;

function describeOutcomes(outcomes: Outcome[]): string {
  const counts = new Map<string, number>();
  for (const o of outcomes) {
    const key = `${o.tag} ${o.status ?? o.error}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return JSON.stringify(Object.fromEntries(counts));
}

describe('Faults: PostgreSQL restarted under load (e2e)', () => {
  let pg: RestartablePostgres;
  let app: RunningApp;

  beforeAll(async () => {
    pg = await startRestartablePostgres();
    app = await startApp(pg.database, {
      DATABASE_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
      DATABASE_POOL_SIZE: '5',
      THROTTLE_LIMIT: '1000000',
      LOG_LEVEL: 'warn',
    });
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    await pg?.close();
  });

  it('answers 503 with Retry-After during the outage, resumes within 5 s, never crashes', async () => {
    const pid = app.process.pid;
    // Geography answers are cached (they would survive the outage); /auth/me reads the database every time.
    const { accessToken } = await loginAsSuperAdmin(app);
    const load = runLoad(8, (i) =>
      i % 5 === 0
        ? { url: `${app.baseUrl}/api/v1/health/ready`, tag: 'ready' }
        : {
            url: `${app.baseUrl}/api/v1/auth/me`,
            init: { headers: { authorization: `Bearer ${accessToken}` } },
            tag: 'read',
          },
    );
    await sleep(1500);
    const downAt = load.now();
    await pg.stop();
    const stoppedAt = load.now();
    await sleep(4000);
    const startingAt = load.now();
    await pg.start();
    const upAt = load.now();
    await sleep(RESUME_MS + 2000);
    const outcomes = await load.stop();
    const summary = describeOutcomes(outcomes);

    // The process survived, kept its pid and answered every request with HTTP.
    expect(app.process.exitCode).toBeNull();
    expect(app.process.pid).toBe(pid);
    expect(outcomes.filter((o) => o.status === null)).toEqual([]);
    expect(outcomes.length).toBeGreaterThan(100);

    // Before the outage everything worked.
    const before = outcomes.filter((o) => o.end < downAt);
    expect(before.length).toBeGreaterThan(0);
    expect({ bad: before.filter((o) => o.status !== 200).slice(0, 3), summary }).toEqual({
      bad: [],
      summary,
    });

    // During the outage: only 200 (already running) or 503 problem details with Retry-After.
    const during = outcomes.filter((o) => o.start >= stoppedAt && o.end <= startingAt);
    expect(during.length).toBeGreaterThan(0);
    for (const o of during) {
      expect({ status: o.status, summary }).toEqual({ status: 503, summary });
      expect(o.retryAfter).toMatch(/^\d+$/);
      if (o.tag === 'read') {
        expect(o.contentType).toMatch(/application\/problem\+json/);
        expect(JSON.parse(o.body)).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
      }
    }
    expect(Math.max(...outcomes.map((o) => o.end - o.start))).toBeLessThan(BOUND_MS);
    expect(outcomes.every((o) => o.status === 200 || o.status === 503)).toBe(true);

    // Back: the first success after PostgreSQL returned came within 5 s, and from then on all succeed.
    const firstOk = outcomes.find((o) => o.start >= upAt && o.status === 200);
    expect(firstOk).toBeDefined();
    expect(firstOk!.start - upAt).toBeLessThan(RESUME_MS);
    const settled = outcomes.filter((o) => o.start >= upAt + RESUME_MS);
    expect(settled.length).toBeGreaterThan(0);
    expect(settled.filter((o) => o.status !== 200)).toEqual([]);
  });
  it('keeps every write it acknowledged through a PostgreSQL restart, and answers the rest 503', async () => {
    const { accessToken } = await loginAsSuperAdmin(app);
    const load = runLoad(4, () => ({
      url: `${app.baseUrl}/api/v1/members`,
      init: {
        method: 'POST',
        headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(memberInput()),
      },
      tag: 'create',
    }));
    await sleep(1500);
    await pg.stop();
    await sleep(3000);
    await pg.start();
    await sleep(RESUME_MS + 1000);
    const outcomes = await load.stop();
    const summary = describeOutcomes(outcomes);

    expect({ statuses: [...new Set(outcomes.map((o) => o.status))].sort(), summary }).toEqual({
      statuses: [201, 503],
      summary,
    });
    const acknowledged = outcomes
      .filter((o) => o.status === 201)
      .map((o) => (JSON.parse(o.body) as { id: string }).id);
    expect(acknowledged.length).toBeGreaterThan(10);
    const stored = await pg.database.pool.query<{ id: string }>(
      'SELECT id FROM members WHERE id = ANY($1::uuid[])',
      [acknowledged],
    );
    expect(stored.rows.map((r) => r.id).sort()).toEqual([...acknowledged].sort());
  });
});
