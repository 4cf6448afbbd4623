import { execFile } from 'node:child_process';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  copyFileSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Client } from 'pg';
import { createAppRole } from '../harness/app-role.js';
import { bearer, createUser, loginAsSuperAdmin, Session } from '../harness/auth.js';
import { positionId, structureId } from '../harness/leadership-fixtures.js';
import { createMember, submitApplication, WARDS } from '../harness/members.js';
import {
  createTestDatabase,
  startTestContext,
  TestContext,
  TestDatabase,
} from '../harness/test-app.js';

const CLI = path.resolve(import.meta.dirname, '../../dist/apps/api/src/cli.js');
const TABLES = [
  'users',
  'members',
  'member_history',
  'member_renewals',
  'member_transfers',
  'membership_applications',
  'registration_conflicts',
  'leadership_positions',
  'leadership_structures',
  'leadership_appointments',
  'audit_events',
];
/** Password hashes are not exported and an imported account must change its password. */
const NOT_CARRIED: Record<string, string[]> = {
  users: ['password_hash', 'password_change_required'],
};

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], databaseUrl: string, key?: string): Promise<CliResult> {
  const { DATABASE_URL: _db, REGISTER_EXPORT_KEY: _key, ...inherited } = process.env;
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], {
      env: {
        ...inherited,
        NODE_ENV: 'test',
        DATABASE_URL: databaseUrl,
        ...(key ? { REGISTER_EXPORT_KEY: key } : {}),
      },
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** Every row of a table as JSON text, in primary-key order, without the columns an import does not carry. */
async function tableRows(db: TestDatabase, table: string): Promise<string[]> {
  const skip = NOT_CARRIED[table] ?? [];
  const { rows } = await db.pool.query<{ row: string }>(
    `SELECT (to_jsonb(t) ${skip.map((c) => `- '${c}'`).join(' ')})::text AS row
       FROM ${table} t ORDER BY id`,
  );
  return rows.map((r) => r.row);
}

/** An independent reader of the archive format: header (magic, key check, IV), ciphertext, GCM tag. */
function decrypt(file: string, key: string): string {
  const data = readFileSync(file);
  const header = data.subarray(0, 8 + 16 + 12);
  const decipher = createDecipheriv(
    'aes-256-gcm',
    Buffer.from(key, 'base64'),
    header.subarray(8 + 16),
  );
  decipher.setAAD(header);
  decipher.setAuthTag(data.subarray(data.length - 16));
  const plain = Buffer.concat([
    decipher.update(data.subarray(header.length, data.length - 16)),
    decipher.final(),
  ]);
  return gunzipSync(plain).toString('utf8');
}

/** Re-encrypts edited plaintext under the same key and header, so only the content check can catch the edit. */
function reencrypt(source: string, target: string, key: string, plain: string): void {
  const header = readFileSync(source).subarray(0, 8 + 16 + 12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(key, 'base64'), header.subarray(8 + 16));
  cipher.setAAD(header);
  const body = Buffer.concat([cipher.update(gzipSync(plain)), cipher.final()]);
  writeFileSync(target, Buffer.concat([header, body, cipher.getAuthTag()]));
}

describe('export-register / import-register (e2e)', () => {
  let t: TestContext;
  let admin: Session;
  const key = randomBytes(32).toString('base64');
  const dir = mkdtempSync(path.join(tmpdir(), 'eff-register-'));
  const full = path.join(dir, 'full.eff');
  const redacted = path.join(dir, 'redacted.eff');
  const idNumbers: string[] = [];
  const targets: TestDatabase[] = [];
  const roles: (() => Promise<void>)[] = [];
  const freshTarget = async () => {
    const db = await createTestDatabase();
    targets.push(db);
    return db;
  };

  beforeAll(async () => {
    t = await startTestContext({ AUTH_THROTTLE_LIMIT: '15' });
    admin = await loginAsSuperAdmin(t.app);
    const gp = await createUser(t.app, admin, 'provincial_admin', 'province', 'GP');
    const http = () => t.app.http();
    const members = [];
    for (let i = 0; i < 3; i++) members.push(await createMember(t.app, admin));
    idNumbers.push(...members.map((m) => m.idNumber));
    await http()
      .post(`/api/v1/members/${members[0]!.id}/status`)
      .set(...bearer(admin))
      .send({ action: 'suspend', reason: 'Disciplinary hearing' })
      .expect(200);
    const application = await submitApplication(t.app, t.db.pool);
    const { rows } = await t.db.pool.query<{ id_number: string }>(
      'SELECT id_number FROM membership_applications WHERE id = $1',
      [application],
    );
    idNumbers.push(rows[0]!.id_number);
    await http()
      .post(`/api/v1/applications/${application}/review`)
      .set(...bearer(gp))
      .expect(200);
    const active = await createMember(t.app, admin, { wardCode: WARDS.own });
    idNumbers.push(active.idNumber);
    const appointment = await http()
      .post('/api/v1/leadership/appointments')
      .set(...bearer(admin))
      .send({
        structureId: await structureId(t.db.pool, 'bct', WARDS.own),
        positionId: await positionId(t.db.pool, 'bct', 'chairperson'),
        memberId: active.id,
        kind: 'elected',
        startsOn: '2025-03-01',
      });
    if (appointment.status !== 201) {
      throw new Error(`appointment: ${appointment.status} ${JSON.stringify(appointment.body)}`);
    }
  }, 120_000);

  afterAll(async () => {
    for (const db of targets) await db.drop();
    for (const drop of roles) await drop();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has the data the round trip is meant to carry', async () => {
    for (const table of [
      'members',
      'member_history',
      'membership_applications',
      'leadership_appointments',
      'audit_events',
      'users',
    ]) {
      const { rows } = await t.db.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${table}`,
      );
      expect({ table, empty: rows[0]!.n === 0 }).toEqual({ table, empty: false });
    }
  });

  it('refuses to run without REGISTER_EXPORT_KEY and writes nothing', async () => {
    const out = path.join(dir, 'nokey.eff');
    const result = await cli(['export-register', '--out', out], t.db.url);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('REGISTER_EXPORT_KEY');
    expect(existsSync(out)).toBe(false);
  });

  it('exports and imports into a fresh database with every table identical', async () => {
    const exported = await cli(
      ['export-register', '--out', full, '--include-id-numbers'],
      t.db.url,
      key,
    );
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain('ID numbers included');

    const target = await freshTarget();
    const imported = await cli(['import-register', '--in', full], target.url, key);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    for (const table of TABLES) {
      const source = await tableRows({ ...t.db }, table);
      expect({ table, rows: await tableRows(target, table) }).toEqual({ table, rows: source });
    }
    const users = await target.pool.query<{
      password_hash: string;
      password_change_required: boolean;
    }>('SELECT password_hash, password_change_required FROM users');
    const sourceHashes = (
      await t.db.pool.query<{ h: string }>('SELECT password_hash AS h FROM users')
    ).rows.map((r) => r.h);
    for (const user of users.rows) {
      expect(user.password_change_required).toBe(true);
      expect(user.password_hash).toMatch(/^\$argon2/);
      expect(sourceHashes).not.toContain(user.password_hash);
    }
    const sequence = async (db: TestDatabase) =>
      (
        await db.pool.query<{ v: string }>(
          'SELECT last_value::text AS v FROM membership_number_seq',
        )
      ).rows[0]!.v;
    expect(await sequence(target)).toBe(await sequence(t.db));

    // The append-only trigger was never disabled: the app role still cannot rewrite the imported audit trail.
    const appRole = await createAppRole(target);
    const asApp = new Client({ connectionString: appRole.url });
    await asApp.connect();
    try {
      await expect(asApp.query("UPDATE audit_events SET action = 'forged'")).rejects.toThrow(
        /append-only/,
      );
      await expect(asApp.query('DELETE FROM audit_events')).rejects.toThrow(
        /append-only|permission/,
      );
    } finally {
      await asApp.end();
      // The role owns grants in the target: dropped after the target database (afterAll).
      roles.push(appRole.drop);
    }

    // A second import into the now non-empty target is refused and changes nothing.
    const before = await tableRows(target, 'members');
    const again = await cli(['import-register', '--in', full], target.url, key);
    expect(again.code).toBe(5);
    expect(again.stderr).toMatch(/only loads into an empty register.*users, members/);
    expect(await tableRows(target, 'members')).toEqual(before);
  }, 120_000);

  const expectUntouched = async (target: TestDatabase) => {
    const { rows } = await target.pool.query<{ members: number; users: number; audit: number }>(
      `SELECT (SELECT count(*)::int FROM members) AS members, (SELECT count(*)::int FROM users) AS users,
              (SELECT count(*)::int FROM audit_events) AS audit`,
    );
    expect(rows[0]).toEqual({ members: 0, users: 0, audit: 0 });
  };

  it('refuses an archive with one flipped byte and leaves the target empty', async () => {
    const tampered = path.join(dir, 'tampered.eff');
    copyFileSync(full, tampered);
    const bytes = readFileSync(tampered);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = bytes[at]! ^ 0x01;
    writeFileSync(tampered, bytes);
    const target = await freshTarget();
    const result = await cli(['import-register', '--in', tampered], target.url, key);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('corrupted or was tampered with');
    await expectUntouched(target);
  });

  it('rolls back when the loaded rows do not match the manifest', async () => {
    const edited = path.join(dir, 'edited.eff');
    const lines = decrypt(full, key).split('\n');
    const at = lines.findIndex((line) => line.startsWith('#manifest '));
    const manifest = JSON.parse(lines[at]!.slice(10)) as {
      tables: { table: string; sha256: string }[];
    };
    manifest.tables.find((table) => table.table === 'audit_events')!.sha256 = '0'.repeat(64);
    lines[at] = `#manifest ${JSON.stringify(manifest)}`;
    reencrypt(full, edited, key, lines.join('\n'));
    const target = await freshTarget();
    const result = await cli(['import-register', '--in', edited], target.url, key);
    expect(result.stderr).toMatch(
      /does not match the manifest.*\n.*audit_events: \d+ rows \(manifest \d+\), sha256 differs/,
    );
    expect(result.code).toBe(6);
    await expectUntouched(target);
  });

  it('refuses a wrong key', async () => {
    const target = await freshTarget();
    const result = await cli(
      ['import-register', '--in', full],
      target.url,
      randomBytes(32).toString('base64'),
    );
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('not the key this archive was encrypted with');
    await expectUntouched(target);
  });

  it('leaves ID numbers out unless asked, and such an archive cannot be imported', async () => {
    const exported = await cli(['export-register', '--out', redacted], t.db.url, key);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain('ID numbers left out');
    const content = decrypt(redacted, key);
    expect(content).toContain('#manifest ');
    expect(idNumbers.length).toBeGreaterThanOrEqual(5);
    for (const idNumber of idNumbers) expect(content).not.toContain(idNumber);
    expect(content).not.toMatch(/\b\d{13}\b/);
    // the full archive does carry them (so the check above can fail)
    const fullContent = decrypt(full, key);
    for (const idNumber of idNumbers) expect(fullContent).toContain(idNumber);
    expect(fullContent).not.toContain('$argon2');

    const target = await freshTarget();
    const result = await cli(['import-register', '--in', redacted], target.url, key);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('without --include-id-numbers');
    await expectUntouched(target);
  });
});
