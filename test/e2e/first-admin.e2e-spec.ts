import { spawn } from 'node:child_process';
import path from 'node:path';
import { loginRequest } from '../harness/accounts.js';
import { createTestDatabase, startApp, TestDatabase } from '../harness/test-app.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'dist/apps/api/src/cli.js');
const NO_ADMIN = { ADMIN_EMAIL: '', ADMIN_PASSWORD: '' };

/** Runs the compiled CLI against `database`; resolves with its exit code and output. */
function cli(
  database: TestDatabase,
  args: string[],
): Promise<{ code: number | null; output: string }> {
  const {
    DATABASE_URL: _d,
    REDIS_URL: _r,
    ADMIN_EMAIL: _e,
    ADMIN_PASSWORD: _p,
    ...env
  } = process.env;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { ...env, NODE_ENV: 'test', DATABASE_URL: database.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

async function superAdmins(database: TestDatabase): Promise<{ email: string; name: string }[]> {
  const { rows } = await database.pool.query(
    `SELECT email, name FROM users WHERE role = 'super_admin' ORDER BY email`,
  );
  return rows;
}

describe('first super admin at start-up (e2e)', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(() => db?.drop());

  it('creates none on an external database without ADMIN_EMAIL', async () => {
    const app = await startApp(db, NO_ADMIN);
    try {
      expect(await superAdmins(db)).toEqual([]);
      expect(app.output()).not.toContain('super admin');
    } finally {
      await app.stop();
    }
  });

  it('creates one from ADMIN_EMAIL / ADMIN_PASSWORD, once, and never a second', async () => {
    const env = { ADMIN_EMAIL: 'Chief@Example.ORG', ADMIN_PASSWORD: 'Head-Office-Strong-2026!' };
    const first = await startApp(db, env);
    try {
      expect(first.output()).toContain('Created the first super admin: chief@example.org');
      expect(first.output()).not.toContain('Head-Office-Strong-2026!');
      const res = await loginRequest(first, 'chief@example.org', env.ADMIN_PASSWORD);
      expect(res.status).toBe(200);
      expect(res.body.user).toMatchObject({ role: 'super_admin', scopeLevel: 'national' });
    } finally {
      await first.stop();
    }
    // A super admin exists: another ADMIN_EMAIL (even with a password the rules now refuse) changes nothing.
    const second = await startApp(db, {
      ADMIN_EMAIL: 'other@example.org',
      ADMIN_PASSWORD: 'Password1234!',
    });
    try {
      expect(second.output()).not.toContain('Created the first super admin');
      expect((await superAdmins(db)).map((u) => u.email)).toEqual(['chief@example.org']);
    } finally {
      await second.stop();
    }
  });

  it('generates a strong password and prints it once when ADMIN_PASSWORD is not set (outside production)', async () => {
    const first = await startApp(db, { ADMIN_EMAIL: 'boss@example.org', ADMIN_PASSWORD: '' });
    let password: string;
    try {
      const match = /Its password, shown this once: (\S+)/.exec(first.output());
      expect(match).not.toBeNull();
      password = match?.[1] ?? '';
      expect(password.length).toBeGreaterThanOrEqual(20);
      expect((await loginRequest(first, 'boss@example.org', password)).status).toBe(200);
    } finally {
      await first.stop();
    }
    const second = await startApp(db, { ADMIN_EMAIL: 'boss@example.org', ADMIN_PASSWORD: '' });
    try {
      expect(second.output()).not.toContain('shown this once');
      expect((await loginRequest(second, 'boss@example.org', password)).status).toBe(200);
    } finally {
      await second.stop();
    }
  });

  it('creates exactly one when several processes start at once', async () => {
    const env = { ADMIN_EMAIL: 'race@example.org', ADMIN_PASSWORD: 'Concurrent-Start-Pass-99' };
    const apps = await Promise.all([startApp(db, env), startApp(db, env), startApp(db, env)]);
    try {
      expect(await superAdmins(db)).toEqual([{ email: 'race@example.org', name: 'Super Admin' }]);
      expect(apps.filter((a) => a.output().includes('Created the first super admin'))).toHaveLength(
        1,
      );
    } finally {
      await Promise.all(apps.map((a) => a.stop()));
    }
  });

  it('refuses to start with a common ADMIN_PASSWORD, creating nothing', async () => {
    await expect(
      startApp(db, { ADMIN_EMAIL: 'weak@example.org', ADMIN_PASSWORD: 'Password1234!' }),
    ).rejects.toThrow(/Admin password is a commonly used password/);
    expect(await superAdmins(db)).toEqual([]);
  });
});

describe('create-admin CLI (e2e)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.drop());

  it('creates a super admin with a generated password printed once', async () => {
    const { code, output } = await cli(db, [
      'create-admin',
      '--email',
      'Ops@Example.org',
      '--name',
      'Ops Lead',
    ]);
    expect(code).toBe(0);
    expect(output).toContain('Created super admin ops@example.org');
    const password = /Password \(shown once\): (\S+)/.exec(output)?.[1];
    expect(password).toBeDefined();
    expect(await superAdmins(db)).toEqual([{ email: 'ops@example.org', name: 'Ops Lead' }]);

    const app = await startApp(db, NO_ADMIN);
    try {
      const res = await loginRequest(app, 'ops@example.org', password ?? '');
      expect(res.status).toBe(200);
      expect(res.body.user).toMatchObject({ role: 'super_admin', name: 'Ops Lead' });
    } finally {
      await app.stop();
    }
  });

  it('creates one with a given strong password without printing it', async () => {
    const { code, output } = await cli(db, [
      'create-admin',
      '--email',
      'second@example.org',
      '--password',
      'Deputy-Office-Pass-2026',
    ]);
    expect(code).toBe(0);
    expect(output).not.toContain('Deputy-Office-Pass-2026');
    expect((await superAdmins(db)).map((u) => u.email)).toContain('second@example.org');
  });

  it.each([
    ['a taken email (any case)', ['--email', 'OPS@example.org'], 1, /already exists/],
    [
      'a weak password',
      ['--email', 'weak@example.org', '--password', 'qwerty123456'],
      1,
      /Admin password/,
    ],
    ['no email', [], 2, /create-admin needs --email/],
    ['a bad email', ['--email', 'not-an-email'], 2, /email/],
  ])('refuses %s and creates nothing', async (_label, args, exitCode, message) => {
    const before = await superAdmins(db);
    const { code, output } = await cli(db, ['create-admin', ...args]);
    expect(code).toBe(exitCode);
    expect(output).toMatch(message);
    expect(await superAdmins(db)).toEqual(before);
  });
});
