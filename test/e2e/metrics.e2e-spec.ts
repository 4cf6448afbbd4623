import { randomBytes } from 'node:crypto';
import { loginAsSuperAdmin } from '../harness/auth.js';
import { createTestDatabase, startApp, TEST_ADMIN, testRedisUrl } from '../harness/test-app.js';
import { startTestContext, TestContext } from '../harness/test-app.js';

/** The value of one sample line (`name{labels} value`) in a Prometheus text body, or undefined. */
function sample(
  body: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of body.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

describe('Metrics (e2e)', () => {
  let t: TestContext;

  beforeAll(async () => {
    t = await startTestContext({
      REDIS_URL: testRedisUrl(),
      REDIS_KEY_PREFIX: `metrics-e2e-${randomBytes(4).toString('hex')}:`,
      AUTH_THROTTLE_LIMIT: '5',
    });
  });
  afterAll(() => t.close());

  it('serves Prometheus text at /metrics (outside /api/v1) to a loopback peer', async () => {
    await t.app.http().get('/api/v1/geography/provinces').expect(200);
    await t.app.http().get('/api/v1/geography/provinces/GP').expect(200);
    await t.app.http().get('/api/v1/geography/provinces/LP').expect(200);
    await t.app.http().get('/api/v1/no-such-route/123').expect(404);

    const res = await t.app.http().get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const body = res.text;

    // Route templates, not raw URLs: two provinces land on one series.
    expect(
      sample(body, 'http_requests_total', {
        method: 'GET',
        route: '/api/v1/geography/provinces/:code',
        status: '200',
      }),
    ).toBe(2);
    expect(body).not.toContain('/api/v1/geography/provinces/GP');
    expect(
      sample(body, 'http_requests_total', { route: '(unmatched)', status: '404' }),
    ).toBeGreaterThanOrEqual(1);
    expect(body).not.toContain('no-such-route');
    expect(
      sample(body, 'http_request_duration_seconds_count', {
        route: '/api/v1/geography/provinces',
        status: '200',
      }),
    ).toBe(1);
    expect(
      sample(body, 'eff_http_problems_total', { code: 'ROUTE_NOT_FOUND', status: '404' }),
    ).toBe(1);

    expect(sample(body, 'eff_db_up')).toBe(1);
    expect(sample(body, 'eff_redis_up')).toBe(1);
    expect(sample(body, 'eff_db_pool_max')).toBe(5);
    expect(sample(body, 'eff_db_pool_connections', { state: 'idle' })).toBeGreaterThanOrEqual(1);
    expect(sample(body, 'eff_db_pool_connections', { state: 'in_use' })).toBeGreaterThanOrEqual(0);
    expect(sample(body, 'eff_db_pool_waiting')).toBe(0);
    expect(sample(body, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sample(body, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  it('counts failed sign-ins by reason, throttled requests and live sessions', async () => {
    const scrape = async (): Promise<string> =>
      (await t.app.http().get('/metrics').expect(200)).text;
    const start = await scrape();
    // Every reason is there from the start, at 0; no session yet (this file's own Redis prefix).
    for (const reason of ['unknown_email', 'wrong_password', 'locked', 'disabled']) {
      expect(sample(start, 'eff_auth_failed_logins_total', { reason })).toBe(0);
    }
    expect(sample(start, 'eff_throttled_requests_total')).toBe(0);
    expect(sample(start, 'eff_auth_active_sessions')).toBe(0);

    await t.app
      .http()
      .post('/api/v1/auth/login')
      .send({ email: TEST_ADMIN.email, password: 'not-the-password' })
      .expect(401);
    await t.app
      .http()
      .post('/api/v1/auth/login')
      .send({ email: 'nobody@test.local', password: 'whatever-it-is' })
      .expect(401);
    await loginAsSuperAdmin(t.app);
    await loginAsSuperAdmin(t.app);
    // /auth/refresh is strictly throttled (AUTH_THROTTLE_LIMIT=5 per minute here): the sixth is refused.
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const res = await t.app
        .http()
        .post('/api/v1/auth/refresh')
        .send({ refreshToken: 'not-a-token' });
      statuses.push(res.status);
    }
    expect(statuses.slice(-1)).toEqual([429]);

    const body = await scrape();
    expect(sample(body, 'eff_auth_failed_logins_total', { reason: 'wrong_password' })).toBe(1);
    expect(sample(body, 'eff_auth_failed_logins_total', { reason: 'unknown_email' })).toBe(1);
    expect(sample(body, 'eff_auth_failed_logins_total', { reason: 'locked' })).toBe(0);
    expect(sample(body, 'eff_throttled_requests_total')).toBe(1);
    expect(sample(body, 'eff_http_problems_total', { code: 'RATE_LIMITED', status: '429' })).toBe(
      1,
    );
    expect(sample(body, 'eff_http_problems_total', { code: 'INVALID_CREDENTIALS' })).toBe(2);
    expect(sample(body, 'eff_auth_active_sessions')).toBe(2);
    expect(
      sample(body, 'http_requests_total', {
        method: 'POST',
        route: '/api/v1/auth/refresh',
        status: '429',
      }),
    ).toBe(1);
  });

  it('is not served under the API prefix and not in the OpenAPI document', async () => {
    const res = await t.app.http().get('/api/v1/metrics').expect(404);
    expect(res.body.code).toBe('ROUTE_NOT_FOUND');
    const doc = await t.app.http().get('/docs-json').expect(200);
    expect(Object.keys(doc.body.paths).some((p) => p.includes('metrics'))).toBe(false);
  });

  it('answers 404 to peers outside METRICS_ALLOW, whatever X-Forwarded-For says', async () => {
    const db = await createTestDatabase();
    const app = await startApp(db, { METRICS_ALLOW: '10.0.0.0/8' });
    try {
      const res = await app
        .http()
        .get('/metrics')
        .set('X-Forwarded-For', '10.1.2.3')
        .expect(404)
        .expect('Content-Type', /application\/problem\+json/);
      expect(res.body.code).toBe('ROUTE_NOT_FOUND');
      expect(res.text).not.toContain('http_requests_total');
    } finally {
      await app.stop();
      await db.drop();
    }
  });

  it('refuses to start with a malformed METRICS_ALLOW, naming it', async () => {
    const db = await createTestDatabase();
    try {
      await expect(startApp(db, { METRICS_ALLOW: '127.0.0.1/40' })).rejects.toThrow(
        /METRICS_ALLOW: 127\.0\.0\.1\/40 has a bad prefix length/,
      );
    } finally {
      await db.drop();
    }
  });
});
