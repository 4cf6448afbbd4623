import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { appRoleSql } from '../harness/app-role.js';
import { bearer, loginAsSuperAdmin, Session } from '../harness/auth.js';
import { createMember, memberInput, validIdNumber } from '../harness/members.js';
import { HARNESS_ENV } from '../harness/services.mjs';
import { createTestDatabase, RunningApp, startApp, TestDatabase } from '../harness/test-app.js';

describe('#15.12 the app role cannot bypass the audit trail; database errors reach no log', () => {
  let db: TestDatabase;
  let app: RunningApp;
  let admin: Session;
  let appUrl: string;
  const role = `eff_app_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');

  async function asAppRole<T>(fn: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({ connectionString: appUrl });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    const owner = (await db.pool.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u;
    // Applied after the migrations: the app role even holds UPDATE and DELETE on audit_events here.
    await db.pool.query(
      appRoleSql({ app_user: role, app_password: password, owner, dbname: db.name }),
    );
    const url = new URL(db.url);
    url.username = role;
    url.password = password;
    appUrl = url.toString();
    app = await startApp(db, {
      DATABASE_URL: appUrl,
      MEMBER_RETENTION_DAYS: '30',
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
    });
    admin = await loginAsSuperAdmin(app);
  });
  afterAll(async () => {
    await app?.stop();
    await db?.drop();
    const cluster = new Client({ connectionString: process.env[HARNESS_ENV.pgAdminUrl] });
    await cluster.connect();
    await cluster.query(`DROP ROLE IF EXISTS "${role}"`);
    await cluster.end();
  });

  it('erases a member through erase_audit_changes() while connected as the app role', async () => {
    const member = await createMember(app, admin, { surname: 'Qwabezulu' });
    await app
      .http()
      .post(`/api/v1/members/${member.id}/status`)
      .set(...bearer(admin))
      .send({ action: 'cancel', reason: 'Resigned' })
      .expect(200);
    await db.pool.query(
      `UPDATE member_history SET created_at = created_at - interval '31 days' WHERE member_id = $1`,
      [member.id],
    );
    const erased = await app
      .http()
      .post(`/api/v1/members/${member.id}/erasure`)
      .set(...bearer(admin));
    expect(erased.status).toBe(200);
    const { rows } = await db.pool.query<{ changes: unknown }>(
      'SELECT changes FROM audit_events WHERE entity_id = $1',
      [member.id],
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(JSON.stringify(rows)).not.toContain('Qwabezulu');
    expect(JSON.stringify(rows)).not.toContain(member.idNumber);
  });

  it('refuses the app role any other change to audit_events', async () => {
    const member = await createMember(app, admin);
    const { rows } = await db.pool.query<{ id: string }>(
      'SELECT id FROM audit_events WHERE entity_id = $1 LIMIT 1',
      [member.id],
    );
    const eventId = rows[0]!.id;
    const attempts: [string, string, unknown[]][] = [
      [
        'the rewrite flag',
        "SELECT set_config('eff.audit_rewrite', 'on', true); UPDATE audit_events SET changes = '{}' WHERE id = $1",
        [eventId],
      ],
      ['an update', "UPDATE audit_events SET changes = '{}' WHERE id = $1", [eventId]],
      ['a delete', 'DELETE FROM audit_events WHERE id = $1', [eventId]],
      ['a truncate', 'TRUNCATE audit_events', []],
      ['disabling the trigger', 'ALTER TABLE audit_events DISABLE TRIGGER USER', []],
      ['dropping the trigger', 'DROP TRIGGER audit_events_no_change ON audit_events', []],
      [
        'the erasure function on a member not erased',
        "SELECT erase_audit_changes($1, $2, '{}')",
        [member.id, eventId],
      ],
    ];
    for (const [name, sql, params] of attempts) {
      const outcome = await asAppRole(async (client) => {
        await client.query('BEGIN');
        try {
          if (sql.includes('; ')) {
            const [flag, update] = sql.split('; ');
            await client.query(flag!);
            await client.query(update!, params);
          } else await client.query(sql, params);
          return `${name}: allowed`;
        } catch {
          return `${name}: refused`;
        } finally {
          await client.query('ROLLBACK');
        }
      });
      expect(outcome).toBe(`${name}: refused`);
    }
    const after = await db.pool.query('SELECT changes FROM audit_events WHERE id = $1', [eventId]);
    expect(after.rows[0]?.changes).not.toEqual({});
  });

  it('logs a constraint error without its detail, context or parameters', async () => {
    // A real constraint the API does not map: PostgreSQL's detail then holds the whole failing row.
    await db.pool.query(
      "ALTER TABLE members ADD CONSTRAINT t_refused_surname CHECK (surname <> 'Refusedsurname') NOT VALID",
    );
    const idNumber = validIdNumber();
    const res = await app
      .http()
      .post('/api/v1/members')
      .set(...bearer(admin))
      .send(memberInput({ idNumber, surname: 'Refusedsurname', cellNumber: '0827654321' }));
    expect(res.status).toBe(500);
    const deadline = Date.now() + 5_000;
    while (!app.output().includes('t_refused_surname') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const log = app.output();
    expect(log).toContain('t_refused_surname');
    expect(log).not.toContain(idNumber);
    expect(log).not.toContain('827654321');
    expect(log).not.toContain('Failing row');
  });
});
