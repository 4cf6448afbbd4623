import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { makeUser, signIn } from '../harness/accounts.js';
import { Session } from '../harness/auth.js';
import { daysFromToday } from '../harness/branches-fixtures.js';
import { BulkSmsStandIn, startBulkSmsStandIn } from '../harness/bulksms-stand-in.js';
import { insertAppointment, positionId, structureId } from '../harness/leadership-fixtures.js';
import { insertMembers, makeIdNumber } from '../harness/member-rows.js';
import { WARDS } from '../harness/members.js';
import { ReceivedMail, SmtpSink, startSmtpSink } from '../harness/smtp-sink.js';
import {
  createTestDatabase,
  RunningApp,
  startApp,
  TEST_ADMIN,
  TestDatabase,
} from '../harness/test-app.js';

const TOKEN_ID = 'standin-token-id';
const TOKEN_SECRET = 'standin-token-secret';
const PUBLIC_URL = 'https://members.example.org';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const cell = (n: number): string => `+2783${String(1_000_000 + n).slice(-7)}`;
const idOf = (n: number): string => makeIdNumber('1991-04-05', 300 + n);
const emailOf = (n: number): string => `m${idOf(n)}@example.org`;

/** A header of a received mail, unfolded (RFC 5322 folding undone). */
function header(mail: ReceivedMail, name: string): string | null {
  const head = mail.raw.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  const line = head
    .split(/\r?\n/)
    .find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line ? line.slice(name.length + 1).trim() : null;
}

/** The text body of a received mail, quoted-printable decoded. */
function textBody(mail: ReceivedMail): string {
  const body = mail.raw
    .split(/\r?\n\r?\n/)
    .slice(1)
    .join('\n\n');
  return body
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

describe('messaging: meeting audiences, one-click unsubscribe, campaign list (e2e)', () => {
  let db: TestDatabase;
  let app: RunningApp;
  let smtp: SmtpSink;
  let gateway: BulkSmsStandIn;
  let superAdmin: Session;
  let provincial: Session;
  let wardAdmin: Session;
  let ownMeeting: string;
  let siblingMeeting: string;
  let structureMeeting: string;
  const meetingOn = daysFromToday(7);

  const http = () => app.http();
  const as = (s: Session) => ['authorization', `Bearer ${s.accessToken}`] as const;
  const memberId = async (n: number): Promise<string> =>
    (await db.pool.query('SELECT id FROM members WHERE id_number = $1', [idOf(n)])).rows[0].id;

  async function template(s: Session, body: Record<string, unknown>): Promise<string> {
    const res = await http()
      .post('/api/v1/messaging/templates')
      .set(...as(s))
      .send(body);
    expect(res.status).toBe(201);
    return res.body.id;
  }

  async function meeting(values: {
    type: string;
    wardCode: string;
    place: string;
    structureId?: string;
  }): Promise<string> {
    const { rows } = await db.pool.query(
      `INSERT INTO branch_meetings (type, structure_id, structure_kind, province_code, district_code,
                                    municipality_code, ward_code, scheduled_on, place)
       SELECT $1::branch_meeting_type, $2::uuid, CASE WHEN $2::uuid IS NULL THEN NULL ELSE 'bct' END,
              w.province_code, w.district_code, w.municipality_code, w.code, $4::date, $5
         FROM wards w WHERE w.code = $3 RETURNING id`,
      [values.type, values.structureId ?? null, values.wardCode, meetingOn, values.place],
    );
    return rows[0].id;
  }

  beforeAll(async () => {
    smtp = await startSmtpSink();
    gateway = await startBulkSmsStandIn(TOKEN_ID, TOKEN_SECRET);
    db = await createTestDatabase();
    // own ward: 1-3 active, 4 grace period, 5 expired (not invited), 6 active objector; 7 active, sibling ward
    await insertMembers(db.pool, [
      ...[1, 2, 3].map((n) => ({
        idNumber: idOf(n),
        wardCode: WARDS.own,
        firstNames: `Invited${n}`,
        cellNumber: cell(n),
        expiresOn: '2027-06-30',
      })),
      {
        idNumber: idOf(4),
        wardCode: WARDS.own,
        firstNames: 'Graceful',
        status: 'grace_period',
        cellNumber: cell(4),
        expiresOn: daysFromToday(-10),
      },
      {
        idNumber: idOf(5),
        wardCode: WARDS.own,
        firstNames: 'Lapsed',
        status: 'expired',
        cellNumber: cell(5),
        expiresOn: '2025-01-01',
      },
      {
        idNumber: idOf(6),
        wardCode: WARDS.own,
        firstNames: 'Objector',
        cellNumber: cell(6),
        contactObjected: true,
        expiresOn: '2027-06-30',
      },
      {
        idNumber: idOf(7),
        wardCode: WARDS.siblingWard,
        firstNames: 'Neighbour',
        cellNumber: cell(7),
        expiresOn: '2027-06-30',
      },
    ]);
    ownMeeting = await meeting({ type: 'bga', wardCode: WARDS.own, place: 'Sebokeng hall' });
    siblingMeeting = await meeting({
      type: 'bga',
      wardCode: WARDS.siblingWard,
      place: 'Elsewhere',
    });
    const bct = await structureId(db.pool, 'bct', WARDS.own);
    await insertAppointment(db.pool, {
      structureId: bct,
      positionId: await positionId(db.pool, 'bct', 'secretary'),
      memberId: await memberId(2),
    });
    structureMeeting = await meeting({
      type: 'structure',
      wardCode: WARDS.own,
      place: 'Branch office',
      structureId: bct,
    });
    app = await startApp(db, {
      SMTP_URL: smtp.url,
      MAIL_FROM: 'EFF Test <no-reply@test.local>',
      SMS_PROVIDER: 'bulksms',
      BULKSMS_API_URL: gateway.url,
      BULKSMS_TOKEN_ID: TOKEN_ID,
      BULKSMS_TOKEN_SECRET: TOKEN_SECRET,
      MESSAGING_DISPATCH_INTERVAL_MS: '100',
      MESSAGING_REMINDERS_CRON: 'off',
      MESSAGING_PUBLIC_URL: PUBLIC_URL,
      MESSAGING_UNSUBSCRIBE_SECRET: 'test-unsubscribe-secret-0123456789abcdef',
      CAMPAIGN_SENDS_PER_HOUR: '50',
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

  it("targets a ward meeting's invitees with the meeting's date and place; other meetings 404", async () => {
    const t = await template(wardAdmin, {
      name: 'BGA notice',
      channel: 'sms',
      body: 'Hi {{firstName}}, BGA on {{meetingDate}} at {{meetingPlace}}.',
    });
    const dry = await http()
      .post('/api/v1/messaging/campaigns/dry-run')
      .set(...as(wardAdmin))
      .send({ templateId: t, audience: { meetingId: ownMeeting } });
    expect(dry.status).toBe(200);
    // Active and Grace Period members of the ward on the meeting date, the objector left out
    expect(dry.body.count).toBe(4);
    expect(dry.body.sample).toHaveLength(4);
    for (const s of dry.body.sample) expect(s.recipient).toMatch(/^\+27\*{5}\d{3}$/);
    expect(dry.body.body).toBe(
      `Hi {{firstName}}, BGA on ${meetingOn} at Sebokeng hall.\nReply STOP to opt out`,
    );

    const refusals = await Promise.all([
      http()
        .post('/api/v1/messaging/campaigns/dry-run')
        .set(...as(wardAdmin))
        .send({ templateId: t, audience: { meetingId: siblingMeeting } }),
      http()
        .post('/api/v1/messaging/campaigns')
        .set(...as(wardAdmin))
        .send({ templateId: t, audience: { meetingId: '00000000-0000-4000-8000-000000000000' } }),
      http()
        .post('/api/v1/messaging/campaigns/dry-run')
        .set(...as(wardAdmin))
        .send({
          templateId: t,
          audience: { meetingId: ownMeeting, area: { level: 'ward', code: WARDS.own } },
        }),
      http()
        .post('/api/v1/messaging/campaigns/dry-run')
        .set(...as(wardAdmin))
        .send({
          templateId: t,
          audience: { meetingId: ownMeeting },
          variables: { meetingPlace: 'Somewhere else' },
        }),
      http()
        .post('/api/v1/messaging/campaigns/dry-run')
        .set(...as(wardAdmin))
        .send({ templateId: t, audience: {} }),
    ]);
    expect(refusals.map((r) => r.status)).toEqual([404, 404, 400, 400, 400]);
    expect(refusals[2].body.errors[0]).toMatchObject({ code: 'meeting_audience' });
    expect(refusals[3].body.errors[0]).toMatchObject({ code: 'variable_from_meeting' });
    // the provincial admin reaches the sibling ward's meeting (its area), with that ward's one invitee
    const wider = await http()
      .post('/api/v1/messaging/campaigns/dry-run')
      .set(...as(provincial))
      .send({ templateId: t, audience: { meetingId: siblingMeeting } });
    expect(wider.status).toBe(200);
    expect(wider.body.count).toBe(1);
    expect(await db.pool.query('SELECT 1 FROM messaging_campaigns')).toMatchObject({ rowCount: 0 });

    const draft = await http()
      .post('/api/v1/messaging/campaigns')
      .set(...as(wardAdmin))
      .send({ templateId: t, audience: { meetingId: ownMeeting } });
    expect(draft.status).toBe(201);
    expect(draft.body).toMatchObject({
      recipientCount: 4,
      audience: {
        meetingId: ownMeeting,
        area: { level: 'ward', code: WARDS.own },
        statuses: [],
        expiry: null,
      },
      variables: { meetingDate: meetingOn, meetingPlace: 'Sebokeng hall' },
    });
    const sent = await http()
      .post(`/api/v1/messaging/campaigns/${draft.body.id}/send`)
      .set(...as(wardAdmin));
    expect(sent.status).toBe(200);
    expect(sent.body.queuedCount).toBe(4);
    const mine = () => gateway.submissions.filter((s) => s.body.includes('Sebokeng hall'));
    const deadline = Date.now() + 20_000;
    while (mine().length < 4 && Date.now() < deadline) await sleep(100);
    expect(
      mine()
        .map((s) => s.to)
        .sort(),
    ).toEqual([cell(1), cell(2), cell(3), cell(4)]);
    expect(mine().find((s) => s.to === cell(4))!.body).toBe(
      `Hi Graceful, BGA on ${meetingOn} at Sebokeng hall.\nReply STOP to opt out`,
    );
    const audit = await db.pool.query(
      "SELECT changes FROM audit_events WHERE action = 'messaging.campaign_sent' AND entity_id = $1",
      [draft.body.id],
    );
    expect(audit.rows[0].changes.audience).toMatchObject({ meetingId: ownMeeting });

    // GET answers the messages by outbox status
    const until = Date.now() + 10_000;
    let detail = await http()
      .get(`/api/v1/messaging/campaigns/${draft.body.id}`)
      .set(...as(wardAdmin));
    while (detail.body.outbox.sent < 4 && Date.now() < until) {
      await sleep(100);
      detail = await http()
        .get(`/api/v1/messaging/campaigns/${draft.body.id}`)
        .set(...as(wardAdmin));
    }
    expect(detail.status).toBe(200);
    expect(detail.body.outbox).toEqual({ queued: 0, sending: 0, sent: 4, delivered: 0, failed: 0 });
  });

  it("targets a structure meeting's office bearers", async () => {
    const t = await template(wardAdmin, {
      name: 'BCT notice',
      channel: 'sms',
      body: 'BCT meets {{meetingDate}}, {{meetingPlace}}',
    });
    const dry = await http()
      .post('/api/v1/messaging/campaigns/dry-run')
      .set(...as(wardAdmin))
      .send({ templateId: t, audience: { meetingId: structureMeeting } });
    expect(dry.status).toBe(200);
    expect(dry.body.count).toBe(1);
    expect(dry.body.body).toContain(`BCT meets ${meetingOn}, Branch office`);
  });

  it('carries the opt-out text and a one-click List-Unsubscribe; POSTing it records the objection once', async () => {
    const t = await template(wardAdmin, {
      name: 'Email news',
      channel: 'email',
      subject: 'News for {{firstName}}',
      body: 'Dear {{firstName}}, news from your branch.',
    });
    const request = {
      templateId: t,
      audience: { area: { level: 'ward', code: WARDS.own }, statuses: ['active'] },
    };
    const draft = await http()
      .post('/api/v1/messaging/campaigns')
      .set(...as(wardAdmin))
      .send(request);
    expect(draft.body.recipientCount).toBe(3);
    expect(draft.body.body).toContain('To stop receiving these messages, open {{unsubscribeUrl}}');
    await http()
      .post(`/api/v1/messaging/campaigns/${draft.body.id}/send`)
      .set(...as(wardAdmin))
      .expect(200);
    const mail = await smtp.waitFor((m) => m.to.includes(emailOf(2)), 20_000);
    const listUnsubscribe = header(mail, 'List-Unsubscribe');
    expect(header(mail, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    const url = /^<(https:\/\/[^>]+)>$/.exec(listUnsubscribe ?? '')?.[1];
    expect(url).toMatch(
      /^https:\/\/members\.example\.org\/api\/v1\/messaging\/unsubscribe\?token=/,
    );
    const body = textBody(mail);
    expect(body).toContain('Dear Invited2, news from your branch.');
    expect(body).toContain(`To stop receiving these messages, open ${url}`);
    const path = url!.slice(PUBLIC_URL.length);
    const token = decodeURIComponent(new URL(url!).searchParams.get('token')!);

    const objectedAt = async () =>
      (
        await db.pool.query('SELECT contact_objected_at FROM members WHERE id = $1', [
          await memberId(2),
        ])
      ).rows[0].contact_objected_at as Date | null;

    // GET never unsubscribes (mail scanners follow links): a page whose button POSTs
    const page = await http().get(path);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('<form method="post"');
    expect(await objectedAt()).toBeNull();

    // forged or altered tokens change nothing
    const other = (
      await db.pool.query('SELECT id FROM messaging_outbox WHERE id::text <> $1 LIMIT 1', [
        token.split('.')[0],
      ])
    ).rows[0].id as string;
    const mac = token.split('.')[1]!;
    const flipped = `${mac.slice(0, 10)}${mac[10] === 'A' ? 'B' : 'A'}${mac.slice(11)}`;
    const bad = await Promise.all(
      [`${token.split('.')[0]}.${flipped}`, `${other}.${mac}`, 'not-a-token', ''].map((forged) =>
        http()
          .post(`/api/v1/messaging/unsubscribe?token=${encodeURIComponent(forged)}`)
          .type('form')
          .send('List-Unsubscribe=One-Click'),
      ),
    );
    expect(bad.map((r) => r.status)).toEqual([400, 400, 400, 400]);
    expect(bad[0]!.body.errors[0]).toMatchObject({ field: 'token', code: 'invalid_token' });
    expect(await objectedAt()).toBeNull();

    // what a mail program does (RFC 8058): POST List-Unsubscribe=One-Click to the URL
    const once = await http().post(path).type('form').send('List-Unsubscribe=One-Click');
    expect(once.status).toBe(200);
    expect(await objectedAt()).not.toBeNull();
    const twice = await http().post(path).type('form').send('List-Unsubscribe=One-Click');
    expect(twice.status).toBe(200);
    const audit = await db.pool.query(
      "SELECT changes FROM audit_events WHERE action = 'member.objection_changed' AND entity_id = $1",
      [await memberId(2)],
    );
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0].changes.reason).toBe('Unsubscribed by the link in an email');

    // later campaigns leave the member out
    const later = await http()
      .post('/api/v1/messaging/campaigns')
      .set(...as(wardAdmin))
      .send(request);
    expect(later.body.recipientCount).toBe(2);
    const laterSent = await http()
      .post(`/api/v1/messaging/campaigns/${later.body.id}/send`)
      .set(...as(wardAdmin));
    expect(laterSent.body.queuedCount).toBe(2);
    const queuedTo = await db.pool.query(
      'SELECT recipient FROM messaging_outbox WHERE campaign_id = $1 ORDER BY recipient',
      [later.body.id],
    );
    expect(queuedTo.rows.map((r) => r.recipient)).toEqual([emailOf(1), emailOf(3)].sort());
  });

  it('lists campaigns of your area, newest first, by status, page by page', async () => {
    const t = await template(superAdmin, { name: 'Elsewhere', channel: 'sms', body: 'Hi' });
    const lp = await http()
      .post('/api/v1/messaging/campaigns')
      .set(...as(superAdmin))
      .send({
        templateId: t,
        audience: { area: { level: 'province', code: 'LP' }, statuses: ['active'] },
      });
    expect(lp.status).toBe(201);
    const draft = await http()
      .post('/api/v1/messaging/campaigns')
      .set(...as(wardAdmin))
      .send({
        templateId: await template(wardAdmin, { name: 'Draft', channel: 'sms', body: 'Hi' }),
        audience: { area: { level: 'ward', code: WARDS.own }, statuses: ['active'] },
      });
    const all = async (s: Session, query: string): Promise<{ id: string; status: string }[]> => {
      const out: { id: string; status: string }[] = [];
      let cursor: string | null = null;
      do {
        const res: {
          status: number;
          body: { data: { id: string; status: string }[]; nextCursor: string | null };
        } = await http()
          .get(`/api/v1/messaging/campaigns?limit=2${query}${cursor ? `&cursor=${cursor}` : ''}`)
          .set(...as(s));
        expect(res.status).toBe(200);
        expect(res.body.data.length).toBeLessThanOrEqual(2);
        out.push(...res.body.data);
        cursor = res.body.nextCursor;
      } while (cursor);
      return out;
    };
    const everything = (
      await db.pool.query(
        'SELECT id, status, ward_code FROM messaging_campaigns ORDER BY created_at DESC, id DESC',
      )
    ).rows as { id: string; status: string; ward_code: string | null }[];
    const ward = everything.filter((c) => c.ward_code === WARDS.own);
    expect(ward.length).toBeGreaterThanOrEqual(4);
    expect((await all(wardAdmin, '')).map((c) => c.id)).toEqual(ward.map((c) => c.id));
    expect((await all(wardAdmin, '&status=draft')).map((c) => c.id)).toEqual([draft.body.id]);
    expect((await all(wardAdmin, '&status=queued')).map((c) => c.id)).toEqual(
      ward.filter((c) => c.status === 'queued').map((c) => c.id),
    );
    const national = await all(superAdmin, '');
    expect(national.map((c) => c.id)).toEqual(everything.map((c) => c.id));
    expect((await all(provincial, '')).map((c) => c.id)).not.toContain(lp.body.id);

    const bad = await http()
      .get('/api/v1/messaging/campaigns?cursor=nope!&status=sent')
      .set(...as(wardAdmin));
    expect(bad.status).toBe(400);
  });
});

describe('the dispatcher worker process (cli.js dispatch) (e2e)', () => {
  let db: TestDatabase;
  let smtp: SmtpSink;
  let app: RunningApp | undefined;
  let worker: ChildProcess | undefined;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    db = await createTestDatabase();
    await insertMembers(
      db.pool,
      Array.from({ length: 30 }, (_, i) => ({
        idNumber: makeIdNumber('1985-07-08', 700 + i),
        wardCode: WARDS.own,
        firstNames: `Worker${i}`,
        cellNumber: null,
      })),
    );
  }, 120_000);

  afterAll(async () => {
    worker?.kill('SIGKILL');
    await app?.stop();
    await db?.drop();
    await smtp?.close();
  });

  it('delivers what an API with MESSAGING_DISPATCH=off queued, at its rate and niceness, and stops cleanly on SIGTERM', async () => {
    const env = {
      SMTP_URL: smtp.url,
      MESSAGING_EMAIL_PER_SECOND: '10',
      MESSAGING_DISPATCH_NICE: '7',
      MESSAGING_DISPATCH: 'off',
      MESSAGING_REMINDERS_CRON: 'off',
      MESSAGING_PUBLIC_URL: PUBLIC_URL,
    };
    app = await startApp(db, env);
    const admin = await signIn(app, TEST_ADMIN.email, TEST_ADMIN.password);
    const auth = ['authorization', `Bearer ${admin.accessToken}`] as const;
    const t = await app
      .http()
      .post('/api/v1/messaging/templates')
      .set(...auth)
      .send({ name: 'Worker', channel: 'email', subject: 'Worker', body: 'Hello {{firstName}}!' });
    const draft = await app
      .http()
      .post('/api/v1/messaging/campaigns')
      .set(...auth)
      .send({
        templateId: t.body.id,
        audience: { area: { level: 'ward', code: WARDS.own }, statuses: ['active'] },
      });
    const sent = await app
      .http()
      .post(`/api/v1/messaging/campaigns/${draft.body.id}/send`)
      .set(...auth);
    expect(sent.body.queuedCount).toBe(30);
    const count = async (status: string): Promise<number> =>
      (
        await db.pool.query(
          'SELECT count(*)::int AS n FROM messaging_outbox WHERE campaign_id = $1 AND status = $2',
          [draft.body.id, status],
        )
      ).rows[0].n as number;
    // the API process does not deliver
    await sleep(2500);
    expect(await count('queued')).toBe(30);
    expect(smtp.received).toHaveLength(0);

    const { DATABASE_URL: _db, REDIS_URL: _redis, ...inherited } = process.env;
    worker = spawn(
      process.execPath,
      ['dist/apps/api/src/cli.js', 'dispatch', '--interval-ms', '100'],
      {
        cwd: path.resolve(import.meta.dirname, '../..'),
        env: {
          ...inherited,
          NODE_ENV: 'test',
          DATABASE_URL: db.url,
          JWT_SECRET: 'x'.repeat(48),
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    worker.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    worker.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => worker!.once('exit', resolve));
    const deadline = Date.now() + 30_000;
    while ((await count('sent')) < 30 && Date.now() < deadline) await sleep(100);
    expect(await count('sent')).toBe(30);
    // niceness: field 19 of /proc/<pid>/stat
    const stat = readFileSync(`/proc/${worker.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    expect(Number(stat[16])).toBe(7);
    // 30 emails at 10 a second: batches of 10, a second apart at least
    const spread = await db.pool.query(
      `SELECT extract(epoch FROM max(sent_at) - min(sent_at))::float8 AS seconds
         FROM messaging_outbox WHERE campaign_id = $1`,
      [draft.body.id],
    );
    expect(spread.rows[0].seconds).toBeGreaterThanOrEqual(1.9);
    for (let i = 0; i < 30; i += 1)
      expect(smtp.received.filter((m) => m.raw.includes(`Hello Worker${i}!`))).toHaveLength(1);
    // the worker adds the one-click header too
    expect(header(smtp.received[0]!, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');

    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('dispatch: SIGTERM');
  }, 120_000);
});
