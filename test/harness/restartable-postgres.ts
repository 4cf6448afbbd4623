import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  EmbeddedPostgresHandle,
  startEmbeddedPostgres,
} from '../../libs/core/src/database/embedded-postgres.js';
import type { TestDatabase } from './test-app.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'dist/apps/api/src/cli.js');

/**
 * A PostgreSQL of a test's own (not the suite's shared one), migrated and seeded by the real CLI, that the test
 * may stop and start again on the same port and data: for fault tests.
 */
export interface RestartablePostgres {
  url: string;
  /** The database as startApp expects it; its pool reconnects after a restart. */
  database: TestDatabase;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and deletes its data. */
  close(): Promise<void>;
}

export async function startRestartablePostgres(): Promise<RestartablePostgres> {
  const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'eff-fault-pg-')), 'pg');
  const options = { dataDir, database: 'eff_faults' };
  let handle: EmbeddedPostgresHandle | null = await startEmbeddedPostgres(options);
  const port = handle.port;
  const url = handle.url;
  await promisify(execFile)(process.execPath, [CLI, 'migrate'], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: url },
  });
  const { Pool } = await import('pg');
  const pool = new Pool({ connectionString: url, max: 2 });
  pool.on('error', () => undefined); // idle clients die with the server during the test
  return {
    url,
    database: { name: options.database, url, pool, drop: async () => undefined },
    stop: async () => {
      await handle?.stop();
      handle = null;
    },
    start: async () => {
      if (!handle) handle = await startEmbeddedPostgres({ ...options, port });
    },
    close: async () => {
      await pool.end().catch(() => undefined);
      await handle?.stop();
      rmSync(path.dirname(dataDir), { recursive: true, force: true });
    },
  };
}
