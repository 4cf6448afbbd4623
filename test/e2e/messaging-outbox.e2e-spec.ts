import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { makeUser, signIn } from '../harness/accounts.js';
import { Session } from '../harness/auth.js';
import { BulkSmsStandIn, startBulkSmsStandIn } from '../harness/bulksms-stand-in.js';
import { SmtpSink, startSmtpSink } from '../harness/smtp-sink.js';
import {
  createTestDatabase,
  RunningApp,
  startApp,
  TEST_ADMIN,
  TestDatabase,
} from '../harness/test-app.js';

const TOKEN_ID = 'standin-token-id';
const TOKEN_SECRET = 'standin-token-secret';
const WEBHOOK_SECRET = randomBytes(24).toString('base64url');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface OutboxRow {
  id: string;
  status: string;
  attempts: number;
  provider_message_id: string | null;
  last_error: string | null;
}

async function outboxRow(pool: Pool, id: string): Promise<OutboxRow> {
  const { rows } = await pool.query<OutboxRow>(
    'SELECT id, status, attempts, provider_message_id, last_error FROM messaging_outbox WHERE id = $1',
    [id],
  );
  if (!rows[0]) throw new Error(`no outbox row ${id}`);
  return rows[0];
}

async function waitForStatus(pool: Pool, id: string, status: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await outboxRow(pool, id);
    if (row.status === status) return row;
    if (Date.now() > deadline) throw new Error(`${id} stayed ${row.status}, wanted ${status}`);
    await sleep(100);
  }
}

/** Writes a message as OutboxService.enqueue does: a row in messaging_outbox, committed. */
async function enqueue(
  pool: Pool,
  channel: 'email' | 'sms',
  recipient: string,
  body: string,
  area: { province: string; district?: string; municipality?: string; ward?: string } | null = null,
): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO messaging_outbox (channel, kind, recipient, subject, body, province_code, district_code,
                                   municipality_code, ward_code)
     VALUES ($1, 'test', $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
    [
      channel,
      recipient,
      channel === 'email' ? 'Test subject' : null,
      body,
      area?.province ?? null,
      area?.district ?? null,
      area?.municipality ?? null,
      area?.ward ?? null,
    ],
  );
  return rows[0]!.id;
}

describe('messaging outbox (e2e)', () => {
  let db: TestDatabase;
  let app: RunningApp;
  let smtp: SmtpSink;
  let gateway: BulkSmsStandIn;
  let admin: Session;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    gateway = await startBulkSmsStandIn(TOKEN_ID, TOKEN_SECRET);
    db = await createTestDatabase();
    app = await startApp(db, {
      SMTP_URL: smtp.url,
      MAIL_FROM: 'EFF Test <no-reply@test.local>',
      SMS_PROVIDER: 'bulksms',
      BULKSMS_API_URL: gateway.url,
      BULKSMS_TOKEN_ID: TOKEN_ID,
      BULKSMS_TOKEN_SECRET: TOKEN_SECRET,
      SMS_WEBHOOK_SECRET: WEBHOOK_SECRET,
      MESSAGING_DISPATCH_INTERVAL_MS: '100',
      MESSAGING_RETRY_BASE_SECONDS: '1',
      MESSAGING_MAX_ATTEMPTS: '3',
    });
    admin = await signIn(app, TEST_ADMIN.email, TEST_ADMIN.password);
  });
  afterAll(async () => {
    await app?.stop();
    await db?.drop();
    await smtp?.close();
    await gateway?.close();
  });

  it('delivers an email to the SMTP server and records it as sent', async () => {
    const id = await enqueue(db.pool, 'email', 'outbox.reader@test.local', 'Hello from the outbox');
    const mail = await smtp.waitFor((m) => m.to.includes('outbox.reader@test.local'));
    expect(mail.raw).toContain('Hello from the outbox');
    expect(mail.raw).toContain(`Message-ID: <${id}@outbox.eff-membership>`);
    const row = await waitForStatus(db.pool, id, 'sent');
    expect(row.attempts).toBe(1);
    expect(row.provider_message_id).toBe(`<${id}@outbox.eff-membership>`);
  });

  it('sends an SMS through the gateway API, and a delivery report with the secret marks it delivered', async () => {
    const id = await enqueue(db.pool, 'sms', '+27821234567', 'Branch meeting on Saturday');
    const row = await waitForStatus(db.pool, id, 'sent');
    const submission = gateway.submissions.find((s) => s.userSuppliedId === id);
    expect(submission).toMatchObject({
      to: '+27821234567',
      body: 'Branch meeting on Saturday',
      encoding: 'TEXT',
    });
    expect(row.provider_message_id).toBe(submission!.id);

    const report = [
      { id: submission!.id, type: 'SENT', status: { type: 'DELIVERED', subtype: null } },
    ];
    const forged = await app
      .http()
      .post('/api/v1/messaging/webhooks/bulksms?token=wrong-token-wrong-token-wrong')
      .send(report);
    expect(forged.status).toBe(403);
    expect(forged.body).toMatchObject({ code: 'FORBIDDEN' });
    const missing = await app.http().post('/api/v1/messaging/webhooks/bulksms').send(report);
    expect(missing.status).toBe(403);
    expect((await outboxRow(db.pool, id)).status).toBe('sent');

    const unknown = await app
      .http()
      .post(`/api/v1/messaging/webhooks/bulksms?token=${WEBHOOK_SECRET}`)
      .send([{ id: '999999999', status: { type: 'DELIVERED' } }]);
    expect(unknown.status).toBe(204);
    expect((await outboxRow(db.pool, id)).status).toBe('sent');

    const genuine = await app
      .http()
      .post(`/api/v1/messaging/webhooks/bulksms?token=${WEBHOOK_SECRET}`)
      .send(report);
    expect(genuine.status).toBe(204);
    expect((await outboxRow(db.pool, id)).status).toBe('delivered');

    // A later FAILED report for a delivered message changes nothing.
    await app
      .http()
      .post(`/api/v1/messaging/webhooks/bulksms?token=${WEBHOOK_SECRET}`)
      .send([{ id: submission!.id, status: { type: 'FAILED', subtype: 'BLOCKED' } }])
      .expect(204);
    expect((await outboxRow(db.pool, id)).status).toBe('delivered');
  });

  it('sends non-GSM text as UNICODE', async () => {
    const id = await enqueue(db.pool, 'sms', '+27821234568', 'Sawubona 👋');
    await waitForStatus(db.pool, id, 'sent');
    expect(gateway.submissions.find((s) => s.userSuppliedId === id)?.encoding).toBe('UNICODE');
  });

  it('retries with backoff after a gateway outage, then sends once', async () => {
    gateway.failNext(1, 503);
    const id = await enqueue(db.pool, 'sms', '+27821234569', 'Retry me');
    const row = await waitForStatus(db.pool, id, 'sent', 20_000);
    expect(row.attempts).toBe(2);
    expect(gateway.submissions.filter((s) => s.userSuppliedId === id)).toHaveLength(1);
  });

  it('marks a message failed when the gateway refuses it, and after the last attempt', async () => {
    gateway.failNext(1, 400);
    const refused = await enqueue(db.pool, 'sms', '+27821234570', 'Refused');
    const row = await waitForStatus(db.pool, refused, 'failed');
    expect(row.attempts).toBe(1);
    expect(row.last_error).toContain('400');

    gateway.failNext(3, 503);
    const exhausted = await enqueue(db.pool, 'sms', '+27821234571', 'Exhausted');
    const last = await waitForStatus(db.pool, exhausted, 'failed', 25_000);
    expect(last.attempts).toBe(3);
  }, 40_000);

  describe('GET /messaging/outbox/{id}', () => {
    let gpMessage: string;
    let lpMessage: string;
    let nationalMessage: string;
    beforeAll(async () => {
      gpMessage = await enqueue(db.pool, 'sms', '+27821234572', 'GP', {
        province: 'GP',
        district: 'DC42',
        municipality: 'GT421',
        ward: '74201001',
      });
      lpMessage = await enqueue(db.pool, 'sms', '+27821234573', 'LP', {
        province: 'LP',
        district: 'DC47',
        municipality: 'LIM476',
        ward: '94706001',
      });
      nationalMessage = await enqueue(db.pool, 'email', 'national@test.local', 'national');
      await waitForStatus(db.pool, gpMessage, 'sent');
    });
    const get = (session: Session, id: string) =>
      app
        .http()
        .get(`/api/v1/messaging/outbox/${id}`)
        .set('authorization', `Bearer ${session.accessToken}`);

    it('shows a super admin the status with the recipient masked and no body', async () => {
      const res = await get(admin, gpMessage);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        id: gpMessage,
        channel: 'sms',
        status: 'sent',
        attempts: 1,
        recipient: '+27*****572',
      });
      expect(JSON.stringify(res.body)).not.toContain('+27821234572');
      expect(res.body).not.toHaveProperty('body');
    });

    it('lets a provincial admin see messages of the province only (404 elsewhere)', async () => {
      const user = await makeUser(app, admin, 'provincial_admin', 'province', 'GP');
      const session = await signIn(app, user.email, user.password);
      expect((await get(session, gpMessage)).status).toBe(200);
      const other = await get(session, lpMessage);
      expect(other.status).toBe(404);
      expect(other.body).toMatchObject({ code: 'NOT_FOUND' });
      expect((await get(session, nationalMessage)).status).toBe(404);
    });

    it('lets a ward admin see only its ward', async () => {
      const user = await makeUser(app, admin, 'ward_admin', 'ward', '74201002');
      const session = await signIn(app, user.email, user.password);
      expect((await get(session, gpMessage)).status).toBe(404);
    });

    it('refuses members and auditors (403) and anonymous callers (401)', async () => {
      const auditor = await makeUser(app, admin, 'auditor', 'national', null);
      const session = await signIn(app, auditor.email, auditor.password);
      expect((await get(session, gpMessage)).status).toBe(403);
      expect((await app.http().get(`/api/v1/messaging/outbox/${gpMessage}`)).status).toBe(401);
    });

    it('answers 400 for a malformed id and 404 for an unknown one', async () => {
      expect((await get(admin, 'not-a-uuid')).status).toBe(400);
      expect((await get(admin, '00000000-0000-4000-8000-000000000000')).status).toBe(404);
    });
  });
});

describe('messaging outbox after a crash (e2e)', () => {
  let db: TestDatabase;
  let smtp: SmtpSink;
  let apps: RunningApp[] = [];

  beforeAll(async () => {
    smtp = await startSmtpSink();
    db = await createTestDatabase();
  });
  afterAll(async () => {
    for (const app of apps) await app.stop('SIGKILL');
    await db?.drop();
    await smtp?.close();
  });

  it('a process killed mid-delivery loses nothing: another delivers the message once after the lease', async () => {
    const env = {
      SMTP_URL: smtp.url,
      MESSAGING_DISPATCH_INTERVAL_MS: '100',
      MESSAGING_LEASE_SECONDS: '2',
    };
    smtp.hang = true;
    const first = await startApp(db, env);
    apps.push(first);
    const id = await enqueue(db.pool, 'email', 'crash.victim@test.local', 'Survives a crash');
    await waitForStatus(db.pool, id, 'sending');
    await sleep(300);
    expect(await first.stop('SIGKILL')).toBeNull();
    expect(smtp.received).toHaveLength(0);
    expect((await outboxRow(db.pool, id)).status).toBe('sending');

    smtp.hang = false;
    const second = await startApp(db, env);
    apps.push(second);
    await smtp.waitFor((m) => m.to.includes('crash.victim@test.local'), 20_000);
    const row = await waitForStatus(db.pool, id, 'sent');
    expect(row.attempts).toBe(2);
    await sleep(1500);
    expect(smtp.received.filter((m) => m.to.includes('crash.victim@test.local'))).toHaveLength(1);
  });

  it('two processes dispatching together send each message exactly once', async () => {
    const env = { SMTP_URL: smtp.url, MESSAGING_DISPATCH_INTERVAL_MS: '50' };
    const more = await Promise.all([startApp(db, env), startApp(db, env)]);
    apps = [...apps, ...more];
    const ids: string[] = [];
    for (let i = 0; i < 40; i += 1)
      ids.push(await enqueue(db.pool, 'email', `pair.${i}@test.local`, `message ${i}`));
    for (const id of ids) await waitForStatus(db.pool, id, 'sent', 30_000);
    await sleep(500);
    for (let i = 0; i < 40; i += 1)
      expect(smtp.received.filter((m) => m.to.includes(`pair.${i}@test.local`))).toHaveLength(1);
  });
});
