import { execFile, execFileSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Pool } from 'pg';
import { freePort } from './services.mjs';
import type { TestDatabase } from './test-app.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'dist/apps/api/src/cli.js');

/** Debian's PostgreSQL 15 server binaries (package postgresql-15). */
export const PG_BIN = process.env.PG15_BIN ?? '/usr/lib/postgresql/15/bin';
export const PG_DEBIAN_PROGRAMS = { [`${PG_BIN}/pg_basebackup`]: 'postgresql-15' };

/**
 * A PostgreSQL 15 primary and one streaming replica of it (initdb, pg_basebackup -R) on free loopback ports in
 * a temp folder, started by the test itself with Debian's binaries. The database is migrated by the real CLI.
 * As root the servers run as the `postgres` user (PostgreSQL refuses root).
 */
export interface ReplicatedPostgres {
  /** The application database on the primary, as startApp expects it. */
  database: TestDatabase;
  primaryUrl: string;
  replicaUrl: string;
  /** A pool on the replica's application database (read-only). */
  replicaPool: Pool;
  stopReplica(mode?: 'fast' | 'immediate'): Promise<void>;
  startReplica(): Promise<void>;
  /** Stops both servers and deletes their data. */
  close(): Promise<void>;
}

const DATABASE = 'eff_ha';
const asRoot = process.getuid?.() === 0;

async function pg(
  program: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<string> {
  const binary = `${PG_BIN}/${program}`;
  const [command, argv] = asRoot
    ? ['runuser', ['-u', 'postgres', '--', binary, ...args]]
    : [binary, args];
  const { stdout } = await run(command, argv, {
    env: { ...process.env, ...env },
    timeout: 120_000,
    encoding: 'utf8',
  });
  return stdout;
}

let postgresIds: { uid: number; gid: number } | null = null;

/** As root, hands a file to the `postgres` user the servers run as. */
function own(file: string): void {
  if (!asRoot) return;
  postgresIds ??= {
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
  };
  chownSync(file, postgresIds.uid, postgresIds.gid);
}

export async function startReplicatedPostgres(): Promise<ReplicatedPostgres> {
  const base = mkdtempSync(path.join(tmpdir(), 'eff-ha-pg-'));
  chmodSync(base, 0o755);
  own(base);
  const primaryDir = path.join(base, 'primary');
  const replicaDir = path.join(base, 'replica');
  const [primaryPort, replicaPort] = [await freePort(), await freePort()];
  await pg('initdb', [
    '-D',
    primaryDir,
    '-U',
    'postgres',
    '--auth=trust',
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  appendFileSync(
    path.join(primaryDir, 'postgresql.conf'),
    [
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${base}'`,
      'wal_level = replica',
      'max_wal_senders = 5',
      'hot_standby = on',
      'fsync = off',
      'synchronous_commit = off',
      'full_page_writes = off',
      'wal_keep_size = 256MB',
      '',
    ].join('\n'),
  );
  const ctl = (dir: string, port: number, ...args: string[]) =>
    pg('pg_ctl', ['-D', dir, '-l', `${dir}.log`, '-w', '-t', '60', '-o', `-p ${port}`, ...args]);
  const logFile = (dir: string) => {
    writeFileSync(`${dir}.log`, '');
    own(`${dir}.log`);
  };
  logFile(primaryDir);
  await ctl(primaryDir, primaryPort, 'start');
  const primaryAdmin = `postgres://postgres@127.0.0.1:${primaryPort}/postgres`;
  const primaryUrl = `postgres://postgres@127.0.0.1:${primaryPort}/${DATABASE}`;
  const replicaUrl = `postgres://postgres@127.0.0.1:${replicaPort}/${DATABASE}`;
  const admin = new Pool({ connectionString: primaryAdmin, max: 1 });
  await admin.query(`CREATE DATABASE ${DATABASE}`);
  await admin.end();
  await run(process.execPath, [CLI, 'migrate'], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: primaryUrl },
    timeout: 120_000,
  });
  await pg('pg_basebackup', [
    '-h',
    '127.0.0.1',
    '-p',
    String(primaryPort),
    '-U',
    'postgres',
    '-D',
    replicaDir,
    '-R',
    '-X',
    'stream',
    '-c',
    'fast',
    '--no-sync',
  ]);
  logFile(replicaDir);
  const startReplica = async (): Promise<void> => {
    await ctl(replicaDir, replicaPort, 'start');
  };
  await startReplica();

  const pool = new Pool({ connectionString: primaryUrl, max: 4 });
  pool.on('error', () => undefined);
  const replicaPool = new Pool({ connectionString: replicaUrl, max: 2 });
  replicaPool.on('error', () => undefined); // the test stops the replica
  const stop = async (dir: string, port: number, mode: string): Promise<void> => {
    if (existsSync(path.join(dir, 'postmaster.pid')))
      await ctl(dir, port, 'stop', '-m', mode).catch(() => undefined);
  };
  return {
    database: { name: DATABASE, url: primaryUrl, pool, drop: async () => undefined },
    primaryUrl,
    replicaUrl,
    replicaPool,
    stopReplica: (mode = 'immediate') => stop(replicaDir, replicaPort, mode),
    startReplica,
    close: async () => {
      await pool.end().catch(() => undefined);
      await replicaPool.end().catch(() => undefined);
      await stop(replicaDir, replicaPort, 'immediate');
      await stop(primaryDir, primaryPort, 'immediate');
      rmSync(base, { recursive: true, force: true });
    },
  };
}
