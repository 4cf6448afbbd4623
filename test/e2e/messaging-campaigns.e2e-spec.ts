import { randomBytes } from 'node:crypto';
import { makeUser, signIn } from '../harness/accounts.js';
import { Session } from '../harness/auth.js';
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

const TOKEN_ID = 'standin-token-id';
const TOKEN_SECRET = 'standin-token-secret';
const WEBHOOK_SECRET = randomBytes(24).toString('base64url');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Cell numbers of the arranged members (unique per member, so what reached the gateway is attributable). */
const cell = (n: number): string => `+2782${String(1_000_000 + n).slice(-7)}`;

describe('messaging campaigns (e2e)', () => {
  let db: TestDatabase;
  let app: RunningApp;
  let smtp: SmtpSink;
  let gateway: BulkSmsStandIn;
  let superAdmin: Session;
  let provincial: Session;
  let wardAdmin: Session;

  const http = () => app.http();
  const as = (s: Session) => ['authorization', `Bearer ${s.accessToken}`] as const;

  async function template(s: Session, body: Record<string, unknown>) {
    return http()
      .post('/api/v1/messaging/templates')
      .set(...as(s))
      .send(body);
  }

  beforeAll(async () => {
    smtp = await startSmtpSink();
    gateway = await startBulkSmsStandIn(TOKEN_ID, TOKEN_SECRET);
    db = await createTestDatabase();
    // own ward: 6 active members with cells (one objector), 1 active with email only, 1 expired;
    // another province: 2 active
    let seq = 100;
    const rows = [];
    for (let i = 0; i < 6; i += 1)
      rows.push({
        idNumber: makeIdNumber('1990-02-03', (seq += 1)),
        wardCode: WARDS.own,
        firstNames: i === 0 ? 'Objecting Person' : `Lerato${i} Grace`,
        cellNumber: cell(i),
        contactObjected: i === 0,
        expiresOn: '2027-06-30',
      });
    rows.push({
      idNumber: makeIdNumber('1990-02-03', (seq += 1)),
      wardCode: WARDS.own,
      firstNames: 'Emailonly',
      cellNumber: null,
      expiresOn: '2027-06-30',
    });
    rows.push({
      idNumber: makeIdNumber('1990-02-03', (seq += 1)),
      wardCode: WARDS.own,
      firstNames: 'Lapsed',
      status: 'expired',
      cellNumber: cell(50),
      expiresOn: '2025-01-01',
    });
    for (let i = 0; i < 2; i += 1)
      rows.push({
        idNumber: makeIdNumber('1990-02-03', (seq += 1)),
        wardCode: WARDS.otherProvince,
        firstNames: `Limpopo${i}`,
        cellNumber: cell(60 + i),
        expiresOn: '2027-06-30',
      });
    await insertMembers(db.pool, rows);
    app = await startApp(db, {
      SMTP_URL: smtp.url,
      MAIL_FROM: 'EFF Test <no-reply@test.local>',
      SMS_PROVIDER: 'bulksms',
      BULKSMS_API_URL: gateway.url,
      BULKSMS_TOKEN_ID: TOKEN_ID,
      BULKSMS_TOKEN_SECRET: TOKEN_SECRET,
      SMS_WEBHOOK_SECRET: WEBHOOK_SECRET,
      MESSAGING_DISPATCH_INTERVAL_MS: '100',
      MESSAGING_REMINDERS_CRON: 'off',
      CAMPAIGN_SENDS_PER_HOUR: '3',
      SMS_MAX_SEGMENTS: '2',
    });
    superAdmin = await signIn(app, TEST_ADMIN.email, TEST_ADMIN.password);
    const p = await makeUser(app, superAdmin, 'provincial_admin', 'province', 'GP');
    provincial = await signIn(app, p.email, p.password);
    const w = await makeUser(app, superAdmin, 'ward_admin', 'ward', WARDS.own);
    wardAdmin = await signIn(app, w.email, w.password);
  }, 120_000);

  afterAll(async () => {
    await app?.stop();
    await db?.drop();
    await smtp?.close();
    await gateway?.close();
  });

  it('refuses a template naming an unknown variable (400 naming it) and an SMS over the segment limit', async () => {
    const unknown = await template(provincial, {
      name: 'Bad',
      channel: 'sms',
      body: 'Hi {{firstName}}, see you {{ nickName }}',
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.detail).toContain('{{nickName}}');
    expect(unknown.body.errors[0]).toMatchObject({ field: 'body', code: 'unknown_variable' });

    // 2 segments allowed: 306 GSM-7 septets minus the opt-out line
    const tooLong = await template(provincial, {
      name: 'Long',
      channel: 'sms',
      body: 'a'.repeat(300),
    });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.errors[0]).toMatchObject({ code: 'too_many_segments' });
  });

  it('answers the encoding and segments of an SMS template, opt-out text counted', async () => {
    const gsm = await template(provincial, {
      name: 'Short',
      channel: 'sms',
      body: 'Hi {{ firstName }}, branch meeting {{meetingDate}}',
    });
    expect(gsm.status).toBe(201);
    expect(gsm.body).toMatchObject({
      body: 'Hi {{firstName}}, branch meeting {{meetingDate}}',
      variables: ['firstName', 'meetingDate'],
      provinceCode: 'GP',
      wardCode: null,
      sms: { encoding: 'GSM-7', segments: 1, maxSegments: 2 },
    });
    // 'Hi ' + 20 + ', branch meeting ' + 16 + '\nReply STOP to opt out'
    expect(gsm.body.sms.units).toBe(3 + 20 + 17 + 16 + 1 + 'Reply STOP to opt out'.length);
    const ucs = await template(provincial, {
      name: 'Unicode',
      channel: 'sms',
      body: 'Sawubona ✊',
    });
    expect(ucs.body.sms).toMatchObject({ encoding: 'UCS-2', segments: 1 });
  });

  it('refuses an audience outside your area (403) and a template outside it (404)', async () => {
    const t = await template(wardAdmin, { name: 'Ward', channel: 'sms', body: 'Hi {{firstName}}' });
    expect(t.status).toBe(201);
    const wider = await http()
      .post('/api/v1/messaging/campaigns/dry-run')
      .set(...as(wardAdmin))
      .send({
        templateId: t.body.id,
        audience: { area: { level: 'municipality', code: 'GT421' }, statuses: ['active'] },
      });
    expect(wider.status).toBe(403);
    const national = await http()
      .post('/api/v1/messaging/campaigns')
      .set(...as(provincial))
      .send({
        templateId: t.body.id,
        audience: { area: { level: 'national' }, statuses: ['active'] },
      });
    expect(national.status).toBe(403);
    const otherProvince = await http()
      .post('/api/v1/messaging/campaigns/dry-run')
      .set(...as(provincial))
      .send({
        templateId: t.body.id,
        audience: { area: { level: 'province', code: 'LP' }, statuses: ['active'] },
      });
    expect(otherProvince.status).toBe(403);
    const lpTemplate = await template(superAdmin, { name: 'National', channel: 'sms', body: 'Hi' });
    const foreign = await http()
      .post('/api/v1/messaging/campaigns/dry-run')
      .set(...as(provincial))
      .send({
        templateId: lpTemplate.body.id,
        audience: { area: { level: 'province', code: 'GP' }, statuses: ['active'] },
      });
    expect(foreign.status).toBe(404);
    expect(
      (await db.pool.query('SELECT count(*)::int AS n FROM messaging_campaigns')).rows[0].n,
    ).toBe(0);
  });

  it('dry run counts and masks, then the send queues once and the SMS reaches the gateway (objector skipped)', async () => {
    const t = await template(provincial, {
      name: 'Meeting',
      channel: 'sms',
      body: 'Hi {{firstName}} ({{membershipNumber}}): branch meeting {{meetingDate}} at {{meetingPlace}}.',
    });
    const request = {
      templateId: t.body.id,
      audience: { area: { level: 'municipality', code: 'GT421' }, statuses: ['active'] },
      variables: { meetingDate: '2026-12-12 10:00', meetingPlace: 'Sebokeng hall' },
    };
    const missing = await http()
      .post('/api/v1/messaging/campaigns/dry-run')
      .set(...as(provincial))
      .send({ ...request, variables: { meetingDate: 'x' } });
    expect(missing.status).toBe(400);
    expect(missing.body.errors[0].field).toBe('variables.meetingPlace');

    const dry = await http()
      .post('/api/v1/messaging/campaigns/dry-run')
      .set(...as(provincial))
      .send(request);
    expect(dry.status).toBe(200);
    expect(dry.body.count).toBe(5); // 6 with cells minus the objector; email-only and expired left out
    expect(dry.body.sample).toHaveLength(5);
    for (const s of dry.body.sample) {
      expect(s.recipient).toMatch(/^\+27\*{5}\d{3}$/);
      expect(s.name).toMatch(/^\w\*\*\* \w\*\*\*$/);
    }
    expect(dry.body.body).toContain('Sebokeng hall');
    expect(dry.body.body.endsWith('\nReply STOP to opt out')).toBe(true);
    expect(await db.pool.query('SELECT 1 FROM messaging_outbox')).toMatchObject({ rowCount: 0 });

    const draft = await http()
      .post('/api/v1/messaging/campaigns')
      .set(...as(provincial))
      .send(request);
    expect(draft.status).toBe(201);
    expect(draft.body).toMatchObject({ status: 'draft', recipientCount: 5, queuedCount: null });
    expect(await db.pool.query('SELECT 1 FROM messaging_outbox')).toMatchObject({ rowCount: 0 });

    const sent = await http()
      .post(`/api/v1/messaging/campaigns/${draft.body.id}/send`)
      .set(...as(provincial));
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ status: 'queued', queuedCount: 5 });
    const again = await http()
      .post(`/api/v1/messaging/campaigns/${draft.body.id}/send`)
      .set(...as(provincial));
    expect(again.status).toBe(409);

    const deadline = Date.now() + 20_000;
    const mine = () => gateway.submissions.filter((s) => s.body.includes('Sebokeng hall'));
    while (mine().length < 5 && Date.now() < deadline) await sleep(100);
    await sleep(500);
    expect(mine()).toHaveLength(5);
    expect(new Set(mine().map((s) => s.to)).size).toBe(5);
    expect(mine().map((s) => s.to)).not.toContain(cell(0));
    const one = mine().find((s) => s.to === cell(1))!;
    expect(one.body).toMatch(
      /^Hi Lerato1 \(\S+\): branch meeting 2026-12-12 10:00 at Sebokeng hall\.\nReply STOP to opt out$/,
    );
    expect(one.encoding).toBe('TEXT');

    const audit = await db.pool.query(
      "SELECT changes FROM audit_events WHERE action = 'messaging.campaign_sent' AND entity_id = $1",
      [draft.body.id],
    );
    expect(audit.rows[0].changes).toMatchObject({
      audience: { area: { level: 'municipality', code: 'GT421' }, statuses: ['active'] },
      queuedCount: 5,
    });
  });

  it('sends an email campaign through SMTP', async () => {
    const t = await template(wardAdmin, {
      name: 'Email',
      channel: 'email',
      subject: 'Hello {{firstName}}',
      body: 'Dear {{firstName}}, your membership runs to {{expiryDate}}.',
    });
    expect(t.status).toBe(201);
    const draft = await http()
      .post('/api/v1/messaging/campaigns')
      .set(...as(wardAdmin))
      .send({
        templateId: t.body.id,
        audience: { area: { level: 'ward', code: WARDS.own }, statuses: ['active'] },
      });
    expect(draft.body.recipientCount).toBe(6); // every active member has an email; the objector is left out
    const sent = await http()
      .post(`/api/v1/messaging/campaigns/${draft.body.id}/send`)
      .set(...as(wardAdmin));
    expect(sent.body.queuedCount).toBe(6);
    const mail = await smtp.waitFor((m) => m.raw.includes('Dear Emailonly'), 20_000);
    expect(mail.raw).toContain('2027-06-30');
    expect(mail.raw).toContain('Subject: Hello Emailonly');
  });

  it('limits campaigns per sender per hour (429)', async () => {
    const t = await template(wardAdmin, { name: 'Limit', channel: 'sms', body: 'Hi' });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const draft = await http()
        .post('/api/v1/messaging/campaigns')
        .set(...as(wardAdmin))
        .send({
          templateId: t.body.id,
          audience: { area: { level: 'ward', code: WARDS.own }, statuses: ['expired'] },
        });
      statuses.push(
        (
          await http()
            .post(`/api/v1/messaging/campaigns/${draft.body.id}/send`)
            .set(...as(wardAdmin))
        ).status,
      );
    }
    // the email campaign above was the first of three this hour
    expect(statuses).toEqual([200, 200, 429]);
  });

  it('records a STOP reply from a member as an objection (audited); a wrong token or an unknown number changes nothing', async () => {
    const objectors = async () =>
      (
        await db.pool.query(
          'SELECT count(*)::int AS n FROM members WHERE contact_objected_at IS NOT NULL',
        )
      ).rows[0].n as number;
    const before = await objectors();
    const stop = [
      {
        type: 'RECEIVED',
        from: { type: 'INTERNATIONAL', address: cell(2) },
        body: { value: ' stop ' },
      },
    ];
    const forged = await http()
      .post('/api/v1/messaging/webhooks/bulksms/inbound?token=nope')
      .send(stop);
    expect(forged.status).toBe(403);
    const unknown = await http()
      .post(`/api/v1/messaging/webhooks/bulksms/inbound?token=${WEBHOOK_SECRET}`)
      .send([{ type: 'RECEIVED', from: '27829999999', body: 'STOP' }]);
    expect(unknown.status).toBe(204);
    const chat = await http()
      .post(`/api/v1/messaging/webhooks/bulksms/inbound?token=${WEBHOOK_SECRET}`)
      .send([{ type: 'RECEIVED', from: cell(3).slice(1), body: 'Thanks, see you there' }]);
    expect(chat.status).toBe(204);
    expect(await objectors()).toBe(before);

    const ok = await http()
      .post(`/api/v1/messaging/webhooks/bulksms/inbound?token=${WEBHOOK_SECRET}`)
      .send(stop);
    expect(ok.status).toBe(204);
    expect(await objectors()).toBe(before + 1);
    const member = (await db.pool.query('SELECT id FROM members WHERE cell_number = $1', [cell(2)]))
      .rows[0];
    const audit = await db.pool.query(
      "SELECT changes FROM audit_events WHERE action = 'member.objection_changed' AND entity_id = $1",
      [member.id],
    );
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0].changes.reason).toBe('Replied STOP to an SMS');

    // the next dry run leaves them out
    const t = await template(provincial, { name: 'After stop', channel: 'sms', body: 'Hi' });
    const dry = await http()
      .post('/api/v1/messaging/campaigns/dry-run')
      .set(...as(provincial))
      .send({
        templateId: t.body.id,
        audience: { area: { level: 'ward', code: WARDS.own }, statuses: ['active'] },
      });
    expect(dry.body.count).toBe(4);
  });
});

describe('campaign delivery with a worker killed mid-batch (e2e)', () => {
  let db: TestDatabase;
  let smtp: SmtpSink;
  const apps: RunningApp[] = [];
  const MEMBERS = 120;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    db = await createTestDatabase();
    const rows = [];
    for (let i = 0; i < MEMBERS; i += 1)
      rows.push({
        idNumber: makeIdNumber('1979-11-12', 2000 + i),
        wardCode: WARDS.own,
        firstNames: `Batch${i}`,
        cellNumber: null,
      });
    await insertMembers(db.pool, rows);
  }, 120_000);

  afterAll(async () => {
    for (const app of apps) await app.stop('SIGKILL');
    await db?.drop();
    await smtp?.close();
  });

  it('loses nothing and duplicates nothing: the lease hands the claimed batch to another process', async () => {
    const env = {
      SMTP_URL: smtp.url,
      MESSAGING_DISPATCH_INTERVAL_MS: '100',
      MESSAGING_LEASE_SECONDS: '2',
      MESSAGING_REMINDERS_CRON: 'off',
    };
    smtp.hang = true;
    const first = await startApp(db, env);
    apps.push(first);
    const admin = await signIn(first, TEST_ADMIN.email, TEST_ADMIN.password);
    const auth = ['authorization', `Bearer ${admin.accessToken}`] as const;
    const t = await first
      .http()
      .post('/api/v1/messaging/templates')
      .set(...auth)
      .send({ name: 'Batch', channel: 'email', subject: 'Batch', body: 'Hello {{firstName}}!' });
    const draft = await first
      .http()
      .post('/api/v1/messaging/campaigns')
      .set(...auth)
      .send({
        templateId: t.body.id,
        audience: { area: { level: 'ward', code: WARDS.own }, statuses: ['active'] },
      });
    expect(draft.body.recipientCount).toBe(MEMBERS);
    // two sends at once: the row lock lets one queue, the other finds it sent (409)
    const sends = await Promise.all(
      [0, 1].map(() =>
        first
          .http()
          .post(`/api/v1/messaging/campaigns/${draft.body.id}/send`)
          .set(...auth),
      ),
    );
    expect(sends.map((s) => s.status).sort()).toEqual([200, 409]);
    const count = async (status: string): Promise<number> =>
      (
        await db.pool.query(
          'SELECT count(*)::int AS n FROM messaging_outbox WHERE campaign_id = $1 AND status = $2',
          [draft.body.id, status],
        )
      ).rows[0].n as number;
    // every message is queued, or already claimed by the (hanging) dispatcher
    expect((await count('queued')) + (await count('sending'))).toBe(MEMBERS);

    const deadline = Date.now() + 15_000;
    while ((await count('sending')) === 0 && Date.now() < deadline) await sleep(50);
    await sleep(300);
    expect(await count('sending')).toBeGreaterThan(0);
    expect(await first.stop('SIGKILL')).toBeNull();
    expect(smtp.received).toHaveLength(0);

    smtp.hang = false;
    const second = await startApp(db, env);
    apps.push(second);
    const until = Date.now() + 60_000;
    while ((await count('sent')) < MEMBERS && Date.now() < until) await sleep(200);
    expect(await count('sent')).toBe(MEMBERS);
    await sleep(1500);
    for (let i = 0; i < MEMBERS; i += 1)
      expect(smtp.received.filter((m) => m.raw.includes(`Hello Batch${i}!`))).toHaveLength(1);
    expect(smtp.received).toHaveLength(MEMBERS);
  }, 150_000);
});
