// Starts the suite's own PostgreSQL (embedded) and Redis (REDIS_URL when given), and migrates and seeds one
// template database that each test file clones. Plain ESM on the compiled app (npm test builds first),
// because jest does not transform or alias-map its global setup.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const dist = new URL('../../dist/', import.meta.url);

export default async function globalSetup() {
  const { loadConfig, startEmbeddedPostgres } = await import(
    new URL('libs/core/src/index.js', dist).href
  );
  const { migrateAndSeed } = await import(new URL('apps/api/src/database.js', dist).href);
  const { HARNESS_ENV, TEMPLATE_DATABASE, startRedis } = await import('./services.mjs');

  const postgres = await startEmbeddedPostgres({
    dataDir: path.join(mkdtempSync(path.join(tmpdir(), 'eff-test-pg-')), 'pg'),
    database: TEMPLATE_DATABASE,
    ephemeral: true,
  });
  const redis = await startRedis();
  globalThis.__effHarness = { postgres, redis };

  await migrateAndSeed(loadConfig({ NODE_ENV: 'test' }), postgres.url, () => undefined);

  process.env[HARNESS_ENV.pgAdminUrl] = postgres.adminUrl;
  process.env[HARNESS_ENV.redisUrl] = redis.url;
}
