import { loginRequest, makeUser, nextIp, signIn, uniqueEmail } from '../harness/accounts.js';
import { Session } from '../harness/auth.js';
import { ReceivedMail, SmtpSink, startSmtpSink } from '../harness/smtp-sink.js';
import {
  createTestDatabase,
  RunningApp,
  startApp,
  TEST_ADMIN,
  TestDatabase,
} from '../harness/test-app.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const NEW_PASSWORD = 'Fresh-Branch-Secretary-2027!';

/** The token of the reset link in a (quoted-printable) mail. */
function tokenOf(mail: ReceivedMail): string {
  const text = mail.raw.replace(/=\r?\n/g, '').replace(/=3D/gi, '=');
  const match = /reset-password\?token=([A-Za-z0-9_-]{20,})/.exec(text);
  if (!match?.[1]) throw new Error(`no reset link in mail:\n${mail.raw}`);
  return match[1];
}

describe('password reset (e2e)', () => {
  let db: TestDatabase;
  let app: RunningApp;
  let smtp: SmtpSink;
  let admin: Session;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    db = await createTestDatabase();
    app = await startApp(db, {
      SMTP_URL: smtp.url,
      MESSAGING_DISPATCH_INTERVAL_MS: '100',
      PASSWORD_RESET_URL: 'https://portal.test.local/reset-password',
      AUTH_THROTTLE_LIMIT: '20',
    });
    admin = await signIn(app, TEST_ADMIN.email, TEST_ADMIN.password);
  });
  afterAll(async () => {
    await app?.stop();
    await db?.drop();
    await smtp?.close();
  });

  const forgot = (email: string, ip = nextIp()) =>
    app.http().post('/api/v1/auth/forgot-password').set('x-forwarded-for', ip).send({ email });
  const reset = (token: string, newPassword: string) =>
    app
      .http()
      .post('/api/v1/auth/reset-password')
      .set('x-forwarded-for', nextIp())
      .send({ token, newPassword });
  const mailsTo = (email: string) => smtp.received.filter((m) => m.to.includes(email));
  async function requestToken(email: string): Promise<string> {
    const before = mailsTo(email).length;
    expect((await forgot(email)).status).toBe(202);
    const deadline = Date.now() + 15_000;
    while (mailsTo(email).length === before) {
      if (Date.now() > deadline) throw new Error(`no reset mail for ${email}`);
      await sleep(100);
    }
    return tokenOf(mailsTo(email).at(-1)!);
  }

  it('answers a known and an unknown address alike, and mails only the known one', async () => {
    const user = await makeUser(app, admin, 'ward_admin', 'ward', '74201001');
    const unknown = uniqueEmail('nobody');
    const known = await forgot(user.email.toUpperCase());
    const other = await forgot(unknown);
    expect(known.status).toBe(202);
    expect(other.status).toBe(202);
    expect(other.body).toEqual(known.body);

    const mail = await smtp.waitFor((m) => m.to.includes(user.email));
    expect(mail.raw).toContain('Subject: Set a new password');
    const token = tokenOf(mail);
    await sleep(500);
    expect(mailsTo(unknown)).toHaveLength(0);
    const { rows: outbox } = await db.pool.query(
      'SELECT status FROM messaging_outbox WHERE recipient = $1',
      [unknown],
    );
    expect(outbox).toHaveLength(0);

    // Only the hash is stored.
    const { rows } = await db.pool.query<{ token_hash: string }>(
      'SELECT token_hash FROM password_reset_tokens WHERE user_id = $1',
      [user.id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.token_hash).not.toBe(token);
    expect(rows[0]!.token_hash).not.toContain(token);
  });

  it('sets the new password once, ends every session, and audits it', async () => {
    const user = await makeUser(app, admin, 'ward_admin', 'ward', '74201001');
    const session = await signIn(app, user.email, user.password);
    const token = await requestToken(user.email);

    const weak = await reset(token, 'short');
    expect(weak.status).toBe(400);
    expect(weak.body).toMatchObject({ code: 'VALIDATION_FAILED' });

    expect((await reset(token, NEW_PASSWORD)).status).toBe(204);
    const me = await app
      .http()
      .get('/api/v1/auth/me')
      .set('authorization', `Bearer ${session.accessToken}`);
    expect(me.status).toBe(401);
    const refreshed = await app
      .http()
      .post('/api/v1/auth/refresh')
      .set('x-forwarded-for', nextIp())
      .send({ refreshToken: session.refreshToken });
    expect(refreshed.status).toBe(401);
    expect((await loginRequest(app, user.email, user.password)).status).toBe(401);
    expect((await loginRequest(app, user.email, NEW_PASSWORD)).status).toBe(200);

    const again = await reset(token, 'Another-Strong-Password-2028!');
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ code: 'PASSWORD_RESET_TOKEN_INVALID' });
    expect((await loginRequest(app, user.email, NEW_PASSWORD)).status).toBe(200);

    const { rows } = await db.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_events WHERE action = 'auth.password_reset' AND entity_id = $1",
      [user.id],
    );
    expect(rows[0]!.n).toBe(1);
  });

  it('refuses an expired token', async () => {
    const user = await makeUser(app, admin, 'ward_admin', 'ward', '74201001');
    const token = await requestToken(user.email);
    await db.pool.query(
      "UPDATE password_reset_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1",
      [user.id],
    );
    const res = await reset(token, NEW_PASSWORD);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'PASSWORD_RESET_TOKEN_INVALID' });
    expect((await loginRequest(app, user.email, user.password)).status).toBe(200);
  });

  it('voids a token when a newer one is requested', async () => {
    const user = await makeUser(app, admin, 'ward_admin', 'ward', '74201001');
    const older = await requestToken(user.email);
    const newer = await requestToken(user.email);
    expect(newer).not.toBe(older);
    expect((await reset(older, NEW_PASSWORD)).body).toMatchObject({
      code: 'PASSWORD_RESET_TOKEN_INVALID',
    });
    expect((await reset(newer, NEW_PASSWORD)).status).toBe(204);
  });

  it('voids a token when the password changes by other means', async () => {
    const user = await makeUser(app, admin, 'ward_admin', 'ward', '74201001');
    const token = await requestToken(user.email);
    const session = await signIn(app, user.email, user.password);
    await app
      .http()
      .post('/api/v1/auth/change-password')
      .set('authorization', `Bearer ${session.accessToken}`)
      .set('x-forwarded-for', nextIp())
      .send({ currentPassword: user.password, newPassword: 'Changed-Another-Way-2027!' })
      .expect(204);
    const res = await reset(token, NEW_PASSWORD);
    expect(res.body).toMatchObject({ code: 'PASSWORD_RESET_TOKEN_INVALID' });
    expect((await loginRequest(app, user.email, 'Changed-Another-Way-2027!')).status).toBe(200);
  });

  it('sends a disabled account nothing', async () => {
    const user = await makeUser(app, admin, 'ward_admin', 'ward', '74201001');
    await db.pool.query('UPDATE users SET active = false WHERE id = $1', [user.id]);
    expect((await forgot(user.email)).status).toBe(202);
    await sleep(1000);
    expect(mailsTo(user.email)).toHaveLength(0);
  });

  it('mails one account at most three times per 15 minutes', async () => {
    const user = await makeUser(app, admin, 'ward_admin', 'ward', '74201001');
    for (let i = 0; i < 5; i += 1) {
      expect((await forgot(user.email)).status).toBe(202);
      await sleep(150);
    }
    await sleep(1500);
    expect(mailsTo(user.email)).toHaveLength(3);
  });

  it('answers bad input with 400 problems', async () => {
    const garbage = await reset('x'.repeat(43), NEW_PASSWORD);
    expect(garbage.status).toBe(400);
    expect(garbage.body).toMatchObject({ code: 'PASSWORD_RESET_TOKEN_INVALID' });
    const short = await reset('abc', NEW_PASSWORD);
    expect(short.status).toBe(400);
    expect(short.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    const notEmail = await forgot('not-an-email');
    expect(notEmail.status).toBe(400);
    expect(notEmail.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    const extra = await app
      .http()
      .post('/api/v1/auth/forgot-password')
      .set('x-forwarded-for', nextIp())
      .send({ email: 'a@test.local', role: 'super_admin' });
    expect(extra.status).toBe(400);
  });

  it('throttles forgot-password per client address', async () => {
    const ip = nextIp();
    const statuses: number[] = [];
    for (let i = 0; i < 21; i += 1) statuses.push((await forgot(uniqueEmail('flood'), ip)).status);
    expect(statuses.slice(0, 20).every((s) => s === 202)).toBe(true);
    expect(statuses[20]).toBe(429);
  });
});

describe('password reset mail across a crash (e2e)', () => {
  let db: TestDatabase;
  let smtp: SmtpSink;
  const apps: RunningApp[] = [];

  beforeAll(async () => {
    smtp = await startSmtpSink();
    db = await createTestDatabase();
  });
  afterAll(async () => {
    for (const app of apps) await app.stop('SIGKILL');
    await db?.drop();
    await smtp?.close();
  });

  it('a process killed after the request committed still gets the mail delivered, once', async () => {
    // This process writes the outbox row but never delivers (dispatch off), then dies without a shutdown.
    const writer = await startApp(db, { SMTP_URL: smtp.url, MESSAGING_DISPATCH_INTERVAL_MS: '0' });
    apps.push(writer);
    const admin = await signIn(writer, TEST_ADMIN.email, TEST_ADMIN.password);
    const user = await makeUser(writer, admin, 'ward_admin', 'ward', '74201001');
    await writer
      .http()
      .post('/api/v1/auth/forgot-password')
      .set('x-forwarded-for', nextIp())
      .send({ email: user.email })
      .expect(202);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { rows } = await db.pool.query<{ status: string }>(
        'SELECT status FROM messaging_outbox WHERE recipient = $1',
        [user.email],
      );
      if (rows[0]?.status === 'queued') break;
      if (Date.now() > deadline) throw new Error('the reset mail was never queued');
      await sleep(100);
    }
    await writer.stop('SIGKILL');
    expect(smtp.received).toHaveLength(0);

    const deliverer = await startApp(db, {
      SMTP_URL: smtp.url,
      MESSAGING_DISPATCH_INTERVAL_MS: '100',
    });
    apps.push(deliverer);
    const mail = await smtp.waitFor((m) => m.to.includes(user.email));
    await sleep(1000);
    expect(smtp.received.filter((m) => m.to.includes(user.email))).toHaveLength(1);
    expect((await reset(deliverer, tokenOf(mail), NEW_PASSWORD)).status).toBe(204);
  }, 120_000);

  const reset = (app: RunningApp, token: string, newPassword: string) =>
    app
      .http()
      .post('/api/v1/auth/reset-password')
      .set('x-forwarded-for', nextIp())
      .send({ token, newPassword });
});
