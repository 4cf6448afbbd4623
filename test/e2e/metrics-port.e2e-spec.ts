import {
  createTestDatabase,
  freePort,
  RunningApp,
  startApp,
  TestDatabase,
} from '../harness/test-app.js';

describe('#15.7 /METRICS passes Nginx: metrics on a loopback port of their own', () => {
  let db: TestDatabase;
  let app: RunningApp;
  let metricsPort: number;

  beforeAll(async () => {
    db = await createTestDatabase();
    metricsPort = await freePort();
    // NODE_APP_INSTANCE: a PM2 cluster worker listens on METRICS_PORT + its instance number.
    app = await startApp(db, {
      METRICS_PORT: String(metricsPort - 1),
      NODE_APP_INSTANCE: '1',
    });
  });
  afterAll(async () => {
    await app?.stop();
    await db?.drop();
  });

  it('serves GET /metrics on METRICS_PORT (+ the worker number) and nothing else there', async () => {
    const base = `http://127.0.0.1:${metricsPort}`;
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('# HELP');
    for (const path of ['/METRICS', '/metrics/', '/api/v1/health', '/']) {
      const other = await fetch(`${base}${path}`);
      expect({ path, status: other.status }).toEqual({ path, status: 404 });
    }
  });

  it('serves no /metrics on the main port, in any spelling', async () => {
    for (const path of ['/metrics', '/METRICS', '/metrics/', '/Metrics?x=1']) {
      const res = await app.http().get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(res.text).not.toContain('# HELP');
    }
    await app.http().get('/api/v1/health').expect(200);
  });
});
