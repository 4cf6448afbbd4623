import { jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ownRedis, OwnRedis } from '../harness/redis-server.js';
import {
  createTestDatabase,
  RunningApp,
  startApp,
  TestDatabase,
  testRedisUrl,
} from '../harness/test-app.js';

// Starts several API processes; under a loaded machine each takes a while.
jest.setTimeout(180_000);

const ROOT = path.resolve(import.meta.dirname, '../..');
const MAIN = path.join(ROOT, 'dist/apps/api/src/main.js');

describe('#15.12 configuration and leakage (e2e)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.drop());

  const production = (): Record<string, string> => ({
    NODE_ENV: 'production',
    REDIS_URL: testRedisUrl(),
    REDIS_KEY_PREFIX: `cfg${randomBytes(3).toString('hex')}:`,
    LOG_LEVEL: 'info',
  });

  /** Starts main.js in production with `env` and expects it to refuse at once. */
  function refusedStart(env: Record<string, string>): { status: number | null; output: string } {
    const { DATABASE_URL: _d, REDIS_URL: _r, SWAGGER_ENABLED: _s, ...inherited } = process.env;
    const result = spawnSync(process.execPath, [MAIN], {
      cwd: ROOT,
      env: { ...inherited, DATABASE_URL: db.url, ...production(), ...env },
      encoding: 'utf8',
      timeout: 90_000,
    });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  }

  it.each([
    ['JWT_SECRET', { JWT_SECRET: 'change-me-to-at-least-32-random-characters' }],
    ['REDIS_URL', { REDIS_URL: 'redis://:change-me-redis-password@127.0.0.1:1' }],
  ])(
    "refuses to start in production with env.example's placeholder in %s, naming it without echoing it",
    (name, env) => {
      const { status, output } = refusedStart({
        JWT_SECRET: randomBytes(32).toString('base64'),
        ...env,
      });
      expect(status).toBe(1);
      expect(output).toContain(`${name}: still holds a "change-me" placeholder`);
      for (const value of Object.values(env)) expect(output).not.toContain(value);
    },
  );

  it('refuses to start in production with a JWT_SECRET under 32 bytes of entropy, without echoing it', () => {
    const weak = 'eff-secret-eff-secret-eff-secret-2026';
    const { status, output } = refusedStart({ JWT_SECRET: weak });
    expect(status).toBe(1);
    expect(output).toContain('JWT_SECRET: too guessable for production');
    expect(output).not.toContain(weak);
  });

  describe('a production process', () => {
    let quiet: RunningApp;
    let documented: RunningApp;
    beforeAll(async () => {
      const env = { ...production(), JWT_SECRET: randomBytes(32).toString('hex') };
      quiet = await startApp(db, env);
      documented = await startApp(db, { ...env, SWAGGER_ENABLED: 'true' });
    });
    afterAll(async () => {
      await Promise.all([quiet?.stop(), documented?.stop()]);
    });

    it('serves no Swagger UI or OpenAPI document unless SWAGGER_ENABLED=true says so', async () => {
      await quiet.http().get('/docs').expect(404);
      await quiet.http().get('/docs-json').expect(404);
      await documented.http().get('/docs').expect(200);
      await documented.http().get('/docs-json').expect(200);
    });
  });

  describe('readiness with a dependency down', () => {
    let redis: OwnRedis;
    let app: RunningApp;
    beforeAll(async () => {
      redis = await ownRedis();
      // Not NODE_ENV=test, whose logs are silent: the log is where the reason must show.
      app = await startApp(db, {
        NODE_ENV: 'development',
        LOG_LEVEL: 'warn',
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: 'ready:',
      });
    });
    afterAll(async () => {
      await app?.stop();
      await redis?.kill();
    });

    it('answers only ok / unavailable per dependency; the reason goes to the log', async () => {
      const up = await app.http().get('/api/v1/health/ready').expect(200);
      expect(up.body).toEqual({
        ready: true,
        status: 'ok',
        checks: { database: 'ok', redis: 'ok' },
      });

      await redis.kill();
      let down = await app.http().get('/api/v1/health/ready');
      const deadline = Date.now() + 10_000;
      while (down.status !== 503 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        down = await app.http().get('/api/v1/health/ready');
      }
      expect(down.status).toBe(503);
      expect(down.body).toEqual({
        ready: false,
        status: 'unavailable',
        checks: { database: 'ok', redis: 'unavailable' },
      });
      // The child's log line and the HTTP answer travel on different pipes: wait for the line, don't race it.
      const logDeadline = Date.now() + 5_000;
      while (!/Readiness: redis unavailable: \S/.test(app.output()) && Date.now() < logDeadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(app.output()).toMatch(/Readiness: redis unavailable: \S/);
    });
  });
});
