import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { HARNESS_ENV } from '../harness/services.mjs';
import { createTestDatabase, freePort, TestDatabase } from '../harness/test-app.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const MAIN = path.join(ROOT, 'dist/apps/api/src/main.js');
const CLI = path.join(ROOT, 'dist/apps/api/src/cli.js');

function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const {
    DATABASE_URL: _d,
    REDIS_URL: _r,
    ADMIN_EMAIL: _e,
    ADMIN_PASSWORD: _p,
    ...env
  } = process.env;
  return { ...env, NODE_ENV: 'development', LOG_LEVEL: 'silent', HOST: '127.0.0.1', ...extra };
}

/** Runs main.js until it prints the Swagger line; returns the process and its output so far. */
async function startMain(env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 60_000;
  while (!output.includes('Swagger UI at')) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, exited, output: () => output };
}

function postgresPidOf(dataDir: string): number | null {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const result = spawnSync('head', ['-1', pidFile], { encoding: 'utf8' });
  return Number(result.stdout.trim()) || null;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('embedded default (no DATABASE_URL)', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'eff-embedded-'));
  const dataDir = path.join(folder, 'postgres');
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('starts PostgreSQL, migrates, seeds, prints the addresses, and stops PostgreSQL on SIGTERM', async () => {
    const port = await freePort();
    const app = await startMain(baseEnv({ PORT: String(port), EMBEDDED_POSTGRES_DIR: dataDir }));
    expect(app.output()).toContain(
      'Geography loaded: 9 provinces, 52 districts, 213 municipalities, 4468 wards',
    );
    expect(app.output()).toContain(`API listening on http://127.0.0.1:${port}/api/v1`);
    expect(app.output()).toContain(`Swagger UI at http://127.0.0.1:${port}/docs`);
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/geography/provinces`);
    expect(((await res.json()) as unknown[]).length).toBe(9);
    // No ADMIN_EMAIL / ADMIN_PASSWORD: a super admin with a generated password, printed this once.
    expect(app.output()).toContain('Created the first super admin: admin@eff.local');
    const password = /Its password, shown this once: (\S+)/.exec(app.output())?.[1] ?? '';
    const login = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@eff.local', password }),
    });
    expect(login.status).toBe(200);
    const pgPid = postgresPidOf(dataDir);
    expect(pgPid).not.toBeNull();

    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(0);
    expect(alive(pgPid as number)).toBe(false);
  });

  it('reuses the data on a second start and recovers from a killed run', async () => {
    const port = await freePort();
    const first = await startMain(baseEnv({ PORT: String(port), EMBEDDED_POSTGRES_DIR: dataDir }));
    expect(first.output()).toContain('Database schema is up to date');
    expect(first.output()).toContain('Geography is up to date');
    expect(first.output()).not.toContain('shown this once');
    const orphan = postgresPidOf(dataDir) as number;
    first.child.kill('SIGKILL');
    await first.exited;

    const second = await startMain(baseEnv({ PORT: String(port), EMBEDDED_POSTGRES_DIR: dataDir }));
    expect(second.output()).toMatch(/left running by an earlier run|stale PostgreSQL lock/);
    expect(alive(orphan)).toBe(false);
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  });

  it('refuses a bad configuration with a message naming the variable', () => {
    const result = spawnSync(process.execPath, [MAIN], {
      cwd: ROOT,
      env: baseEnv({ PORT: 'eighty', DATABASE_SSL_MODE: 'sometimes' }),
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('PORT');
    expect(result.stderr).toContain('DATABASE_SSL_MODE');
  });

  it('refuses production without DATABASE_URL, REDIS_URL and JWT_SECRET', () => {
    const result = spawnSync(process.execPath, [MAIN], {
      cwd: ROOT,
      env: baseEnv({ NODE_ENV: 'production' }),
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/DATABASE_URL: required/);
    expect(result.stderr).toMatch(/REDIS_URL: required/);
  });
});

describe('migrate command against DATABASE_URL', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('is idempotent: the template is already migrated and seeded, so nothing changes', async () => {
    const before = await db.pool.query('SELECT count(*)::int AS n FROM wards');
    const result = spawnSync(process.execPath, [CLI, 'migrate'], {
      cwd: ROOT,
      env: baseEnv({ DATABASE_URL: db.url }),
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Database schema is up to date');
    expect(result.stdout).toContain('Geography is up to date');
    const after = await db.pool.query('SELECT count(*)::int AS n FROM wards');
    expect(after.rows).toEqual(before.rows);
  });

  it('restores a changed geography row and nothing else', async () => {
    await db.pool.query(`UPDATE wards SET name = 'Renamed' WHERE code = '79800001'`);
    const result = spawnSync(process.execPath, [CLI, 'migrate'], {
      cwd: ROOT,
      env: baseEnv({ DATABASE_URL: db.url }),
      encoding: 'utf8',
    });
    expect(result.stdout).toContain('Geography loaded: 1 wards');
    const row = await db.pool.query(`SELECT name FROM wards WHERE code = '79800001'`);
    expect(row.rows[0]).toEqual({ name: 'Ward 1' });
  });
});

describe('migrate commands started together (several API replicas, each running the entrypoint)', () => {
  const name = `t_empty_${Date.now().toString(36)}`;
  const admin = new URL(process.env[HARNESS_ENV.pgAdminUrl] ?? 'postgres://unset');
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const adminQuery = async (sql: string) => {
    const client = new Client({ connectionString: admin.toString() });
    await client.connect();
    try {
      return await client.query(sql);
    } finally {
      await client.end();
    }
  };
  beforeAll(() => adminQuery(`CREATE DATABASE ${name} TEMPLATE template0`));
  afterAll(() => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));

  it('take turns on an empty database: both succeed and every migration is applied once', async () => {
    const run = promisify(execFile);
    const migrate = () =>
      run(process.execPath, [CLI, 'migrate'], {
        cwd: ROOT,
        env: baseEnv({ DATABASE_URL: url.toString() }),
        encoding: 'utf8',
        timeout: 120_000,
      });
    const results = await Promise.allSettled([migrate(), migrate()]);
    expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual([
      'ok',
      'ok',
    ]);
    const outputs = results.map((r) => (r.status === 'fulfilled' ? r.value.stdout : ''));
    // One applied them all, the other then found nothing to do.
    expect(outputs.filter((o) => /Applied \d+ migration/.test(o))).toHaveLength(1);
    expect(outputs.filter((o) => o.includes('Database schema is up to date'))).toHaveLength(1);
    const client = new Client({ connectionString: url.toString() });
    await client.connect();
    try {
      const twice = await client.query(
        'SELECT name FROM typeorm_migrations GROUP BY name HAVING count(*) > 1',
      );
      expect(twice.rows).toEqual([]);
    } finally {
      await client.end();
    }
  }, 180_000);
});
