import { spawn, ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client, Pool } from 'pg';
import request, { type Response, type Test } from 'supertest';
import { ContractValidator } from './contract.js';
import { freePort, HARNESS_ENV, TEMPLATE_DATABASE } from './services.mjs';

/** The super admin every test app creates at start-up (ADMIN_EMAIL / ADMIN_PASSWORD). */
export const TEST_ADMIN = { email: 'super@test.local', password: 'Harness-Chief-Admin-2026!' };
/** Shared by every test process, so tokens from one API process verify on another (32 random bytes, as production wants). */
export const TEST_JWT_SECRET = '91ceb08ae8b74e4434597776e02bbc76dbf8f6a657c67b3bcb0cf5dd6c21922c';

const ROOT = path.resolve(import.meta.dirname, '../..');
const MAIN = path.join(ROOT, 'dist/apps/api/src/main.js');

function harnessEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through npm test`);
  return value;
}

function safeName(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`Unsafe database name ${name}`);
  return `"${name}"`;
}

async function adminQuery(sql: string): Promise<void> {
  const client = new Client({ connectionString: harnessEnv(HARNESS_ENV.pgAdminUrl) });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Re-exported: the specs take it from here with the other helpers. */
export { freePort };

export interface TestDatabase {
  name: string;
  url: string;
  /** A pool on this database, for arranging data and checking what the API wrote. */
  pool: Pool;
  drop(): Promise<void>;
}

/** A fresh database cloned from the migrated, seeded template: each test file gets its own. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${safeName(name)} TEMPLATE ${safeName(TEMPLATE_DATABASE)}`);
  const url = new URL(harnessEnv(HARNESS_ENV.pgAdminUrl));
  url.pathname = `/${name}`;
  const pool = new Pool({ connectionString: url.toString(), max: 4 });
  // drop() ends the database WITH (FORCE): an idle pooled connection cut then is expected, not a test failure.
  pool.on('error', () => undefined);
  return {
    name,
    url: url.toString(),
    pool,
    drop: async () => {
      await pool.end();
      await adminQuery(`DROP DATABASE IF EXISTS ${safeName(name)} WITH (FORCE)`);
    },
  };
}

export function testRedisUrl(): string {
  return harnessEnv(HARNESS_ENV.redisUrl);
}

/**
 * Built from the first app this test process starts: every app serves the same document (the api-client spec
 * checks it is the committed openapi.json), and building it per start costs each start time.
 */
let contractOfServedDocument: Promise<ContractValidator> | null = null;

export interface HttpOptions {
  /**
   * Why this test's answers may break the OpenAPI document (a test that deliberately breaks the contract).
   * Without it every answer is checked against the served document and a mismatch fails the request.
   */
  skipContract?: string;
}

export interface RunningApp {
  baseUrl: string;
  port: number;
  process: ChildProcess;
  /** supertest on the app; every answer is checked against the served OpenAPI document (see HttpOptions). */
  http: (options?: HttpOptions) => ReturnType<typeof request>;
  /** The validator the answers are checked with, built from the document the app serves. */
  contract: ContractValidator;
  /** Everything the process printed so far. */
  output(): string;
  /** Sends a signal (default SIGTERM) and waits for the process to exit; resolves with its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const START_TIMEOUT_MS = 100_000;

/**
 * Starts the real compiled API (dist/, built by `npm test`'s pretest) as its own process on a free port,
 * and waits (up to 100 s) until it answers /api/v1/health.
 */
export async function startApp(
  database: TestDatabase,
  env: Record<string, string> = {},
): Promise<RunningApp> {
  const port = await freePort();
  const { DATABASE_URL: _db, REDIS_URL: _redis, ...inherited } = process.env;
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: {
      ...inherited,
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: database.url,
      DATABASE_POOL_SIZE: '5',
      ADMIN_EMAIL: TEST_ADMIN.email,
      ADMIN_PASSWORD: TEST_ADMIN.password,
      JWT_SECRET: TEST_JWT_SECRET,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const baseUrl = `http://127.0.0.1:${port}`;

  // Generous: a loaded CI machine runs several suites' API processes and databases on a few cores.
  const deadline = Date.now() + START_TIMEOUT_MS;
  let lastHealth: string;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`API exited with ${child.exitCode} during start:\n${output}`);
    try {
      const res = await fetch(`${baseUrl}/api/v1/health`);
      if (res.ok) break;
      lastHealth = `${res.status} ${await res.text()}`;
    } catch (error) {
      lastHealth = String(error);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `API did not start within ${START_TIMEOUT_MS / 1000} s (last /health: ${lastHealth}):\n${output}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  contractOfServedDocument ??= ContractValidator.forServer(baseUrl);
  const contract = await contractOfServedDocument;
  return {
    baseUrl,
    port,
    process: child,
    contract,
    http: (options: HttpOptions = {}) =>
      options.skipContract ? request(baseUrl) : contractCheckedRequest(baseUrl, contract),
    output: () => output,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

function hasBody(res: Response): boolean {
  if (res.status === 204 || res.status === 304) return false;
  const length = res.headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return res.headers['transfer-encoding'] !== undefined || Boolean(res.text);
}

/** Adds the contract check as the test's last assertion, so a spec's own status assertion reports first. */
function checkContractOnEnd(test: Test, contract: ContractValidator): Test {
  const end = test.end.bind(test);
  test.end = (callback) => {
    test.expect((res: Response) => {
      const problems = contract.check({
        method: test.method,
        url: new URL(test.url).pathname,
        status: res.status,
        contentType: res.headers['content-type'],
        body: res.body as unknown,
        hasBody: hasBody(res),
      });
      if (problems.length > 0)
        throw new Error(
          `The answer breaks the OpenAPI document (pass { skipContract: 'why' } to app.http() if the test means it):\n  ${problems.join('\n  ')}`,
        );
    });
    return end(callback);
  };
  return test;
}

export function contractCheckedRequest(
  baseUrl: string,
  contract: ContractValidator,
): ReturnType<typeof request> {
  const agent = request(baseUrl);
  return new Proxy(agent, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        return result instanceof request.Test ? checkContractOnEnd(result, contract) : result;
      };
    },
  });
}

export interface TestContext {
  db: TestDatabase;
  app: RunningApp;
  close(): Promise<void>;
}

/** One database and one API process for a test file. */
export async function startTestContext(env: Record<string, string> = {}): Promise<TestContext> {
  const db = await createTestDatabase();
  try {
    const app = await startApp(db, env);
    return {
      db,
      app,
      close: async () => {
        await app.stop();
        await db.drop();
      },
    };
  } catch (error) {
    await db.drop();
    throw error;
  }
}
