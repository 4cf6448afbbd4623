import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { signIn } from '../harness/accounts.js';
import { BulkSmsStandIn, startBulkSmsStandIn } from '../harness/bulksms-stand-in.js';
import { insertMembers, makeIdNumber } from '../harness/member-rows.js';
import { WARDS } from '../harness/members.js';
import { SmtpSink, startSmtpSink } from '../harness/smtp-sink.js';
import {
  createTestDatabase,
  RunningApp,
  startApp,
  TEST_ADMIN,
  TestDatabase,
} from '../harness/test-app.js';

const CLI = path.resolve(import.meta.dirname, '../../dist/apps/api/src/cli.js');
const TOKEN_ID = 'standin-token-id';
const TOKEN_SECRET = 'standin-token-secret';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Today in Africa/Johannesburg plus `days`, as YYYY-MM-DD. */
function day(days: number): string {
  const today = new Date().toLocaleDateString('en-CA', { timeZone: 'Africa/Johannesburg' });
  const d = new Date(`${today}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

interface RunResult {
  ran: boolean;
  queued: { expiry_30_days: number; expiry_7_days: number; grace_7_days: number };
  purgedBodies: number;
}

async function sendReminders(databaseUrl: string): Promise<RunResult | null> {
  const { DATABASE_URL: _db, ...inherited } = process.env;
  const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'send-reminders'], {
    env: { ...inherited, NODE_ENV: 'test', DATABASE_URL: databaseUrl },
    encoding: 'utf8',
    timeout: 120_000,
  });
  const line = stdout.split('\n').find((l) => l.startsWith('{'));
  return line ? (JSON.parse(line) as RunResult) : null;
}

describe('messaging renewal reminders and retention (e2e)', () => {
  let db: TestDatabase;
  let app: RunningApp;
  let smtp: SmtpSink;
  let gateway: BulkSmsStandIn;
  let seq = 500;
  const id = () => makeIdNumber('1985-07-08', (seq += 1));

  beforeAll(async () => {
    smtp = await startSmtpSink();
    gateway = await startBulkSmsStandIn(TOKEN_ID, TOKEN_SECRET);
    db = await createTestDatabase();
    await insertMembers(db.pool, [
      {
        idNumber: id(),
        wardCode: WARDS.own,
        firstNames: 'Thirty',
        cellNumber: '+27831000001',
        expiresOn: day(20),
      },
      {
        idNumber: id(),
        wardCode: WARDS.own,
        firstNames: 'Later',
        cellNumber: '+27831000002',
        expiresOn: day(45),
      },
      {
        idNumber: id(),
        wardCode: WARDS.own,
        firstNames: 'Seven',
        cellNumber: '+27831000003',
        expiresOn: day(5),
      },
      {
        idNumber: id(),
        wardCode: WARDS.own,
        firstNames: 'Mailer',
        cellNumber: null,
        expiresOn: day(3),
      },
      {
        idNumber: id(),
        wardCode: WARDS.own,
        firstNames: 'Objector',
        cellNumber: '+27831000005',
        expiresOn: day(4),
        contactObjected: true,
      },
      {
        idNumber: id(),
        wardCode: WARDS.own,
        firstNames: 'Graceful',
        status: 'grace_period',
        cellNumber: '+27831000006',
        expiresOn: day(-10),
      },
      {
        idNumber: id(),
        wardCode: WARDS.own,
        firstNames: 'Fresh',
        status: 'grace_period',
        cellNumber: '+27831000007',
        expiresOn: day(-3),
      },
    ]);
    app = await startApp(db, {
      SMTP_URL: smtp.url,
      SMS_PROVIDER: 'bulksms',
      BULKSMS_API_URL: gateway.url,
      BULKSMS_TOKEN_ID: TOKEN_ID,
      BULKSMS_TOKEN_SECRET: TOKEN_SECRET,
      MESSAGING_DISPATCH_INTERVAL_MS: '100',
      MESSAGING_REMINDERS_CRON: 'off',
      MEMBER_RETENTION_DAYS: '0',
    });
  }, 120_000);

  afterAll(async () => {
    await app?.stop();
    await db?.drop();
    await smtp?.close();
    await gateway?.close();
  });

  it('queues each window once (objectors left out), delivers them, and a second run queues nothing', async () => {
    const first = await sendReminders(db.url);
    expect(first).toMatchObject({
      ran: true,
      queued: { expiry_30_days: 1, expiry_7_days: 2, grace_7_days: 1 },
    });
    const second = await sendReminders(db.url);
    expect(second).toMatchObject({
      ran: true,
      queued: { expiry_30_days: 0, expiry_7_days: 0, grace_7_days: 0 },
    });
    const { rows } = await db.pool.query<{ first_names: string; channel: string; key: string }>(
      `SELECT m.first_names, o.channel, o.idempotency_key AS key
         FROM messaging_outbox o JOIN members m ON m.id = o.recipient_member_id
        WHERE o.kind = 'renewal_reminder' ORDER BY m.first_names`,
    );
    expect(rows.map((r) => [r.first_names, r.channel])).toEqual([
      ['Graceful', 'sms'],
      ['Mailer', 'email'],
      ['Seven', 'sms'],
      ['Thirty', 'sms'],
    ]);
    expect(rows.find((r) => r.first_names === 'Seven')!.key).toMatch(
      new RegExp(`^reminder:expiry_7_days:${day(5)}:`),
    );

    const deadline = Date.now() + 20_000;
    while (gateway.submissions.length < 3 && Date.now() < deadline) await sleep(100);
    const seven = gateway.submissions.find((s) => s.to === '+27831000003');
    expect(seven?.body).toContain(`Hi Seven, your EFF membership`);
    expect(seven?.body).toContain(day(5));
    expect(seven?.body.endsWith('\nReply STOP to opt out')).toBe(true);
    expect(gateway.submissions.map((s) => s.to)).not.toContain('+27831000005');
    const mail = await smtp.waitFor((m) => m.raw.includes('Hi Mailer'), 20_000);
    expect(mail.raw).not.toContain('Reply STOP');

    const audits = await db.pool.query(
      "SELECT changes FROM audit_events WHERE action = 'messaging.reminders_queued' ORDER BY occurred_at",
    );
    expect(audits.rows).toHaveLength(2);
  });

  it('two runs at once: one process wins the advisory lock or they serialise; nothing is queued twice', async () => {
    await insertMembers(db.pool, [
      {
        idNumber: id(),
        wardCode: WARDS.own,
        firstNames: 'Racer',
        cellNumber: '+27831000009',
        expiresOn: day(6),
      },
    ]);
    const results = await Promise.all([sendReminders(db.url), sendReminders(db.url)]);
    const queued = results
      .filter((r): r is RunResult => r !== null && r.ran)
      .reduce(
        (n, r) => n + r.queued.expiry_7_days + r.queued.expiry_30_days + r.queued.grace_7_days,
        0,
      );
    expect(queued).toBe(1);
    const { rows } = await db.pool.query(
      "SELECT count(*)::int AS n FROM messaging_outbox o JOIN members m ON m.id = o.recipient_member_id WHERE m.first_names = 'Racer'",
    );
    expect(rows[0].n).toBe(1);
  });

  it('purges the bodies of old finished messages and keeps the rows as metadata', async () => {
    const { rows } = await db.pool.query<{ id: string }>(
      `INSERT INTO messaging_outbox (channel, kind, recipient, body, status, sent_at, created_at)
       VALUES ('sms', 'test', '+27831111111', 'old secret text', 'sent', now() - interval '100 days',
               now() - interval '100 days'),
              ('sms', 'test', '+27831111112', 'recent text', 'sent', now(), now())
       RETURNING id`,
    );
    const result = await sendReminders(db.url);
    expect(result?.purgedBodies).toBe(1);
    const after = await db.pool.query(
      'SELECT id, body, recipient, status, body_purged_at FROM messaging_outbox WHERE id = ANY($1) ORDER BY body',
      [rows.map((r) => r.id)],
    );
    expect(after.rows[0]).toMatchObject({ body: '', recipient: '+27831111111', status: 'sent' });
    expect(after.rows[0].body_purged_at).not.toBeNull();
    expect(after.rows[1]).toMatchObject({ body: 'recent text', body_purged_at: null });
  });

  it("erasure blanks the member's messages and fails the undelivered ones", async () => {
    await insertMembers(db.pool, [
      {
        idNumber: id(),
        wardCode: WARDS.own,
        firstNames: 'Erasable',
        status: 'cancelled',
        cellNumber: '+27831000010',
      },
    ]);
    const member = (await db.pool.query("SELECT id FROM members WHERE first_names = 'Erasable'"))
      .rows[0] as { id: string };
    await db.pool.query("UPDATE members SET updated_at = now() - interval '2 days' WHERE id = $1", [
      member.id,
    ]);
    await db.pool.query(
      `INSERT INTO messaging_outbox (channel, kind, recipient, body, status, recipient_member_id, next_attempt_at)
       VALUES ('sms', 'campaign', '+27831000010', 'Hi Erasable', 'sent', $1, now()),
              ('sms', 'campaign', '+27831000010', 'Hi Erasable later', 'queued', $1, now() + interval '1 day')`,
      [member.id],
    );
    const admin = await signIn(app, TEST_ADMIN.email, TEST_ADMIN.password);
    const res = await app
      .http()
      .post(`/api/v1/members/${member.id}/erasure`)
      .set('authorization', `Bearer ${admin.accessToken}`);
    expect(res.status).toBe(200);
    const { rows } = await db.pool.query(
      'SELECT recipient, body, subject, status FROM messaging_outbox WHERE recipient_member_id = $1 ORDER BY status',
      [member.id],
    );
    expect(rows).toEqual([
      { recipient: 'erased', body: '', subject: null, status: 'failed' },
      { recipient: 'erased', body: '', subject: null, status: 'sent' },
    ]);
    const text = JSON.stringify(
      (
        await db.pool.query('SELECT * FROM messaging_outbox WHERE recipient_member_id = $1', [
          member.id,
        ])
      ).rows,
    );
    expect(text).not.toContain('Erasable');
    expect(text).not.toContain('831000010');
  });
});
