import { jest } from '@jest/globals';
import * as jsqrModule from 'jsqr';
import { PNG } from 'pngjs';
import { Session, TEST_PASSWORD } from '../harness/auth.js';
import { loginRequest, makeUser, nextIp, signIn } from '../harness/accounts.js';
import {
  awayFromStepEdge,
  codeAt,
  currentStep,
  enrolMfa,
  freshCode,
  markUsed,
  signInWithMfa,
  verifyRequest,
} from '../harness/mfa.js';
import { startTestContext, TEST_ADMIN, TestContext } from '../harness/test-app.js';

// Some cases wait for the next TOTP time step (30 s).
jest.setTimeout(120_000);

type JsQr = (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;
// jsqr is CommonJS: its function is the default export under Node's ESM loader.
const jsQR =
  (jsqrModule as unknown as { default: JsQr }).default ?? (jsqrModule as unknown as JsQr);

/** A 6-digit code that is none of the codes valid right now (±1 step). */
async function invalidCode(secret: string): Promise<string> {
  const now = currentStep();
  const valid = new Set(await Promise.all([-1, 0, 1].map((d) => codeAt(secret, now + d))));
  for (let n = 0; ; n += 1) {
    const code = String(n).padStart(6, '0');
    if (!valid.has(code)) return code;
  }
}

const MAX_FAILURES = 5;
const GRACE_DAYS = 7;

describe('#19 TOTP for admins (e2e)', () => {
  let ctx: TestContext;
  let admin: Session;
  const http = () => ctx.app.http();
  const auth = (token: string) => ['authorization', `Bearer ${token}`] as const;

  beforeAll(async () => {
    ctx = await startTestContext({
      AUTH_THROTTLE_LIMIT: '1000',
      LOGIN_MAX_FAILURES: String(MAX_FAILURES),
      MFA_ENROLMENT_GRACE_DAYS: String(GRACE_DAYS),
    });
    admin = await signIn(ctx.app, TEST_ADMIN.email, TEST_ADMIN.password);
  }, 120_000);
  afterAll(() => ctx?.close());

  const challengeFor = async (email: string, password = TEST_PASSWORD): Promise<string> => {
    const res = await loginRequest(ctx.app, email, password);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      mfaRequired: true,
      challengeToken: expect.stringMatching(/^[A-Za-z0-9_-]{40,}$/),
      expiresAt: expect.any(String),
    });
    return (res.body as { challengeToken: string }).challengeToken;
  };

  /** A provincial admin, signed in, with TOTP enrolled through the real routes. */
  const enrolledAdmin = async () => {
    const user = await makeUser(ctx.app, admin, 'provincial_admin', 'province', 'GP');
    const session = await signIn(ctx.app, user.email, TEST_PASSWORD);
    const enrolment = await enrolMfa(ctx.app, session.accessToken);
    return { user, session, enrolment };
  };

  it('enrolment: the secret is shown once as an otpauth URI and a QR code (PNG and SVG); a first code activates it and gives ten recovery codes', async () => {
    const user = await makeUser(ctx.app, admin, 'ward_admin', 'ward', '74201001');
    const session = await signIn(ctx.app, user.email, TEST_PASSWORD);

    const before = await http()
      .get('/api/v1/auth/mfa')
      .set(...auth(session.accessToken));
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ enabled: false, pending: false, required: true });
    const deadline = Date.parse(before.body.enrolmentDeadline as string);
    expect(deadline).toBeGreaterThan(Date.now() + (GRACE_DAYS * 24 - 1) * 3600_000);
    expect(deadline).toBeLessThanOrEqual(Date.now() + GRACE_DAYS * 24 * 3600_000);

    const started = await http()
      .post('/api/v1/auth/mfa/enrolment')
      .set(...auth(session.accessToken));
    expect(started.status).toBe(201);
    const { secret, otpauthUri, qrCodePng, qrCodeSvg } = started.body as Record<string, string>;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(otpauthUri as string);
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toContain(user.email);
    expect(uri.searchParams.get('secret')).toBe(secret);
    expect(uri.searchParams.get('issuer')).toBe('EFF Membership');
    // The PNG really is a QR code of the URI (read back with jsQR).
    expect(qrCodePng).toMatch(/^data:image\/png;base64,/);
    const png = PNG.sync.read(Buffer.from((qrCodePng as string).split(',')[1] as string, 'base64'));
    const decoded = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
    expect(decoded?.data).toBe(otpauthUri);
    expect(qrCodeSvg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);

    // Pending: sign-in still answers tokens until the enrolment is confirmed.
    expect((await loginRequest(ctx.app, user.email, TEST_PASSWORD)).body.accessToken).toEqual(
      expect.any(String),
    );

    const wrong = await http()
      .post('/api/v1/auth/mfa/enrolment/confirm')
      .set(...auth(session.accessToken))
      .send({ code: await invalidCode(secret as string) });
    expect(wrong.status).toBe(400);
    expect(wrong.body.code).toBe('MFA_CODE_INVALID');
    const malformed = await http()
      .post('/api/v1/auth/mfa/enrolment/confirm')
      .set(...auth(session.accessToken))
      .send({ code: '12ab56' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('VALIDATION_FAILED');

    const confirmed = await http()
      .post('/api/v1/auth/mfa/enrolment/confirm')
      .set(...auth(session.accessToken))
      .send({ code: await freshCode(secret as string) });
    expect(confirmed.status).toBe(200);
    const codes = confirmed.body.recoveryCodes as string[];
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);

    const after = await http()
      .get('/api/v1/auth/mfa')
      .set(...auth(session.accessToken));
    expect(after.body).toMatchObject({
      enabled: true,
      pending: false,
      enrolmentDeadline: null,
      recoveryCodesRemaining: 10,
    });
    // The session that enrolled carries on; a second enrolment is refused.
    const again = await http()
      .post('/api/v1/auth/mfa/enrolment')
      .set(...auth(session.accessToken));
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('MFA_ALREADY_ENABLED');
    const { rows: audit } = await ctx.db.pool.query(
      `SELECT action FROM audit_events WHERE entity_id = $1 AND action LIKE 'auth.mfa%' ORDER BY occurred_at`,
      [user.id],
    );
    expect(audit.map((r: { action: string }) => r.action)).toEqual([
      'auth.mfa_enrolment_started',
      'auth.mfa_enabled',
    ]);
  });

  it('confirming without a started enrolment is a 409', async () => {
    const user = await makeUser(ctx.app, admin, 'ward_admin', 'ward', '74201001');
    const session = await signIn(ctx.app, user.email, TEST_PASSWORD);
    const res = await http()
      .post('/api/v1/auth/mfa/enrolment/confirm')
      .set(...auth(session.accessToken))
      .send({ code: '123456' });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('MFA_ENROLMENT_NOT_STARTED');
  });

  it('stores the TOTP secret only encrypted and the recovery codes only as keyed hashes', async () => {
    const { user, enrolment } = await enrolledAdmin();
    const { rows } = await ctx.db.pool.query(
      'SELECT secret_ciphertext FROM user_mfa WHERE user_id = $1',
      [user.id],
    );
    const stored = rows[0].secret_ciphertext as string;
    expect(stored).not.toContain(enrolment.secret);
    expect(stored.toLowerCase()).not.toContain(enrolment.secret.toLowerCase());
    expect(stored).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
    // Nothing anywhere in the database holds the secret or a recovery code in the clear.
    const { rows: dump } = await ctx.db.pool.query(
      `SELECT (SELECT string_agg(t::text, '|') FROM user_mfa t) AS mfa,
              (SELECT string_agg(t::text, '|') FROM mfa_recovery_codes t) AS codes,
              (SELECT string_agg(t::text, '|') FROM audit_events t) AS audit,
              (SELECT string_agg(t::text, '|') FROM users t) AS users`,
    );
    const everything = JSON.stringify(dump[0]).toUpperCase();
    expect(everything).not.toContain(enrolment.secret);
    for (const code of enrolment.recoveryCodes) {
      expect(everything).not.toContain(code);
      expect(everything).not.toContain(code.replace(/-/g, ''));
    }
    const { rows: hashes } = await ctx.db.pool.query(
      'SELECT code_hash FROM mfa_recovery_codes WHERE user_id = $1',
      [user.id],
    );
    expect(hashes).toHaveLength(10);
    for (const { code_hash } of hashes as { code_hash: string }[])
      expect(code_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('sign-in with TOTP answers a single-use challenge, then tokens for a valid code; wrong, replayed and reused codes are refused', async () => {
    const { user, enrolment } = await enrolledAdmin();
    const challengeToken = await challengeFor(user.email);

    const wrong = await verifyRequest(ctx.app, {
      challengeToken,
      code: await invalidCode(enrolment.secret),
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('MFA_CODE_INVALID');
    expect(wrong.body.accessToken).toBeUndefined();

    const code = await freshCode(enrolment.secret);
    const ok = await verifyRequest(ctx.app, { challengeToken, code });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      tokenType: 'Bearer',
      user: { id: user.id, role: 'provincial_admin' },
    });
    await http()
      .get('/api/v1/auth/me')
      .set(...auth(ok.body.accessToken))
      .expect(200);

    // The challenge is used up.
    const reusedChallenge = await verifyRequest(ctx.app, {
      challengeToken,
      code: await codeAt(enrolment.secret, currentStep() + 1),
    });
    expect(reusedChallenge.status).toBe(401);
    expect(reusedChallenge.body.code).toBe('MFA_CHALLENGE_INVALID');

    // The same code on a new challenge: refused as replayed.
    const second = await challengeFor(user.email);
    const replay = await verifyRequest(ctx.app, { challengeToken: second, code });
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('MFA_CODE_REUSED');
    // Two concurrent sign-ins with one fresh code: exactly one gets in.
    const [c1, c2] = [await challengeFor(user.email), await challengeFor(user.email)];
    const fresh = await freshCode(enrolment.secret);
    const both = await Promise.all([
      verifyRequest(ctx.app, { challengeToken: c1, code: fresh }),
      verifyRequest(ctx.app, { challengeToken: c2, code: fresh }),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 401]);

    // A made-up or missing challenge.
    const forged = await verifyRequest(ctx.app, { challengeToken: 'x'.repeat(43), code: '123456' });
    expect(forged.status).toBe(401);
    expect(forged.body.code).toBe('MFA_CHALLENGE_INVALID');
    const neither = await verifyRequest(ctx.app, { challengeToken: second });
    expect(neither.status).toBe(400);
  });

  it('an expired challenge is refused', async () => {
    const { user, enrolment } = await enrolledAdmin();
    const challengeToken = await challengeFor(user.email);
    await ctx.db.pool.query(
      `UPDATE mfa_challenges SET expires_at = now() - interval '1 second' WHERE user_id = $1`,
      [user.id],
    );
    const res = await verifyRequest(ctx.app, {
      challengeToken,
      code: await freshCode(enrolment.secret),
    });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('MFA_CHALLENGE_INVALID');
  });

  it('accepts ±1 time step of clock drift, not ±2', async () => {
    const { user, enrolment } = await enrolledAdmin();
    // As if the last code was used a while ago (enrolment just used the current step).
    await ctx.db.pool.query(
      'UPDATE user_mfa SET last_used_step = last_used_step - 10 WHERE user_id = $1',
      [user.id],
    );
    await awayFromStepEdge(8);
    const now = currentStep();
    const challengeToken = await challengeFor(user.email);
    for (const offset of [-2, 2]) {
      const res = await verifyRequest(ctx.app, {
        challengeToken,
        code: await codeAt(enrolment.secret, now + offset),
      });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('MFA_CODE_INVALID');
    }
    const behind = await verifyRequest(ctx.app, {
      challengeToken,
      code: await codeAt(enrolment.secret, now - 1),
    });
    expect(behind.status).toBe(200);
    const ahead = await verifyRequest(ctx.app, {
      challengeToken: await challengeFor(user.email),
      code: await codeAt(enrolment.secret, now + 1),
    });
    expect(ahead.status).toBe(200);
    markUsed(enrolment.secret, now + 1);
    // A step before the last accepted one counts as used.
    const older = await verifyRequest(ctx.app, {
      challengeToken: await challengeFor(user.email),
      code: await codeAt(enrolment.secret, now),
    });
    expect(older.status).toBe(401);
    expect(older.body.code).toBe('MFA_CODE_REUSED');
  });

  it('a recovery code signs in once (however it is typed), then never again', async () => {
    const { user, session, enrolment } = await enrolledAdmin();
    const [recovery] = enrolment.recoveryCodes as [string];
    const ok = await verifyRequest(ctx.app, {
      challengeToken: await challengeFor(user.email),
      recoveryCode: ` ${recovery.toLowerCase().replace(/-/g, '')} `,
    });
    expect(ok.status).toBe(200);
    expect(ok.body.accessToken).toEqual(expect.any(String));
    const again = await verifyRequest(ctx.app, {
      challengeToken: await challengeFor(user.email),
      recoveryCode: recovery,
    });
    expect(again.status).toBe(401);
    expect(again.body.code).toBe('MFA_CODE_INVALID');
    const status = await http()
      .get('/api/v1/auth/mfa')
      .set(...auth(session.accessToken));
    expect(status.body.recoveryCodesRemaining).toBe(9);
    // Another user's recovery code does not work here.
    const other = await enrolledAdmin();
    const foreign = await verifyRequest(ctx.app, {
      challengeToken: await challengeFor(user.email),
      recoveryCode: other.enrolment.recoveryCodes[0],
    });
    expect(foreign.status).toBe(401);
  });

  it(`locks the account after ${MAX_FAILURES} wrong codes: then even the right code and the right password are refused`, async () => {
    const { user, enrolment } = await enrolledAdmin();
    const challengeToken = await challengeFor(user.email);
    for (let i = 0; i < MAX_FAILURES; i += 1) {
      const res = await verifyRequest(ctx.app, {
        challengeToken,
        code: await invalidCode(enrolment.secret),
      });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('MFA_CODE_INVALID');
    }
    const right = await verifyRequest(ctx.app, {
      challengeToken,
      code: await freshCode(enrolment.secret),
    });
    expect(right.status).toBe(401);
    expect(right.body.code).toBe('MFA_CODE_INVALID');
    expect(right.body.accessToken).toBeUndefined();
    const password = await loginRequest(ctx.app, user.email, TEST_PASSWORD);
    expect(password.status).toBe(401);
    expect(password.body.code).toBe('INVALID_CREDENTIALS');
    const { rows } = await ctx.db.pool.query(
      'SELECT locked_until, failed_login_count FROM users WHERE id = $1',
      [user.id],
    );
    expect(new Date(rows[0].locked_until as string).getTime()).toBeGreaterThan(Date.now());
    expect(rows[0].failed_login_count).toBeGreaterThanOrEqual(MAX_FAILURES);
    const { rows: failures } = await ctx.db.pool.query(
      `SELECT count(*)::int AS n FROM audit_events WHERE entity_id = $1 AND action = 'auth.mfa_failed'`,
      [user.id],
    );
    expect(failures[0].n).toBe(MAX_FAILURES + 1);
  });

  describe('enrolment deadline', () => {
    const pastDeadline = (userId: string, days = GRACE_DAYS + 1) =>
      ctx.db.pool.query(
        `UPDATE users SET first_login_at = now() - make_interval(days => $2) WHERE id = $1`,
        [userId, days],
      );

    it('records the first sign-in once', async () => {
      const user = await makeUser(ctx.app, admin, 'ward_admin', 'ward', '74201001');
      const read = async () =>
        (await ctx.db.pool.query('SELECT first_login_at FROM users WHERE id = $1', [user.id]))
          .rows[0].first_login_at as Date | null;
      expect(await read()).toBeNull();
      await signIn(ctx.app, user.email, TEST_PASSWORD);
      const first = await read();
      expect(first).not.toBeNull();
      await signIn(ctx.app, user.email, TEST_PASSWORD);
      expect((await read())?.getTime()).toBe(first?.getTime());
    });

    it('within the grace period an admin without TOTP signs in as before', async () => {
      const user = await makeUser(ctx.app, admin, 'provincial_admin', 'province', 'GP');
      await signIn(ctx.app, user.email, TEST_PASSWORD);
      await pastDeadline(user.id, GRACE_DAYS - 1);
      await signIn(ctx.app, user.email, TEST_PASSWORD);
    });

    it('past it: 403 MFA_ENROLMENT_REQUIRED with an enrolment-only token that reaches only enrolment; enrolled, the admin signs in with a code', async () => {
      const user = await makeUser(ctx.app, admin, 'provincial_admin', 'province', 'GP');
      const old = await signIn(ctx.app, user.email, TEST_PASSWORD);
      await pastDeadline(user.id);

      const refused = await loginRequest(ctx.app, user.email, TEST_PASSWORD);
      expect(refused.status).toBe(403);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.body).toMatchObject({
        code: 'MFA_ENROLMENT_REQUIRED',
        enrolmentToken: expect.any(String),
        enrolmentTokenExpiresAt: expect.any(String),
      });
      expect(refused.body.accessToken).toBeUndefined();
      expect(refused.body.refreshToken).toBeUndefined();
      const token = refused.body.enrolmentToken as string;

      // Nothing but enrolment: not /auth/me, not the members, not the sessions.
      for (const path of [
        '/api/v1/auth/me',
        '/api/v1/members',
        '/api/v1/auth/sessions',
        '/api/v1/users',
      ]) {
        const res = await http()
          .get(path)
          .set(...auth(token));
        expect({ path, status: res.status, code: res.body.code }).toEqual({
          path,
          status: 403,
          code: 'MFA_ENROLMENT_REQUIRED',
        });
      }
      const status = await http()
        .get('/api/v1/auth/mfa')
        .set(...auth(token));
      expect(status.status).toBe(200);
      expect(status.body).toMatchObject({ enabled: false, required: true });
      expect(Date.parse(status.body.enrolmentDeadline as string)).toBeLessThan(Date.now());
      // It is no refresh token either.
      const refresh = await http().post('/api/v1/auth/refresh').send({ refreshToken: token });
      expect(refresh.status).toBeGreaterThanOrEqual(400);
      expect(refresh.status).toBeLessThan(500);
      // A session from before the deadline is not an enrolment token (it still works until it ends).
      await http()
        .get('/api/v1/auth/me')
        .set(...auth(old.accessToken))
        .expect(200);

      const enrolment = await enrolMfa(ctx.app, token);
      expect(enrolment.recoveryCodes).toHaveLength(10);
      // The enrolment token is spent with the confirmation.
      const spent = await http()
        .get('/api/v1/auth/mfa')
        .set(...auth(token));
      expect(spent.status).toBe(401);

      const session = await signInWithMfa(ctx.app, user.email, TEST_PASSWORD, enrolment.secret);
      await http()
        .get('/api/v1/auth/me')
        .set(...auth(session.accessToken))
        .expect(200);
    });

    it('past it, a session from before is not renewed: refresh answers 403 MFA_ENROLMENT_REQUIRED and ends it', async () => {
      const user = await makeUser(ctx.app, admin, 'regional_admin', 'district', 'DC42');
      const old = await signIn(ctx.app, user.email, TEST_PASSWORD);
      await pastDeadline(user.id);
      const refused = await http()
        .post('/api/v1/auth/refresh')
        .send({ refreshToken: old.refreshToken });
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ code: 'MFA_ENROLMENT_REQUIRED' });
      expect(refused.body.accessToken).toBeUndefined();
      await http()
        .get('/api/v1/auth/me')
        .set(...auth(old.accessToken))
        .expect(401);
    });

    it('applies to auditors, not to members', async () => {
      const auditor = await makeUser(ctx.app, admin, 'auditor', 'province', 'GP');
      const member = await makeUser(ctx.app, admin, 'member', 'ward', '74201001');
      for (const u of [auditor, member]) await signIn(ctx.app, u.email, TEST_PASSWORD);
      await pastDeadline(auditor.id, 30);
      await pastDeadline(member.id, 30);
      const a = await loginRequest(ctx.app, auditor.email, TEST_PASSWORD);
      expect(a.status).toBe(403);
      expect(a.body.code).toBe('MFA_ENROLMENT_REQUIRED');
      const m = await loginRequest(ctx.app, member.email, TEST_PASSWORD);
      expect(m.status).toBe(200);
      expect(m.body.accessToken).toEqual(expect.any(String));
    });

    it('a wrong password past the deadline is still just INVALID_CREDENTIALS (no enrolment token)', async () => {
      const user = await makeUser(ctx.app, admin, 'ward_admin', 'ward', '74201001');
      await signIn(ctx.app, user.email, TEST_PASSWORD);
      await pastDeadline(user.id);
      const res = await loginRequest(ctx.app, user.email, 'Not-The-Password-2026!');
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('INVALID_CREDENTIALS');
      expect(res.body.enrolmentToken).toBeUndefined();
    });
  });

  describe('reset by a super admin', () => {
    it('removes TOTP, ends every session of the user and is audited; the user then signs in without a code', async () => {
      const { user, enrolment } = await enrolledAdmin();
      const session = await signInWithMfa(ctx.app, user.email, TEST_PASSWORD, enrolment.secret);
      const res = await http()
        .delete(`/api/v1/users/${user.id}/mfa`)
        .set(...auth(admin.accessToken));
      expect(res.status).toBe(204);
      await http()
        .get('/api/v1/auth/me')
        .set(...auth(session.accessToken))
        .expect(401);
      const { rows } = await ctx.db.pool.query(
        `SELECT (SELECT count(*)::int FROM user_mfa WHERE user_id = $1) AS mfa,
                (SELECT count(*)::int FROM mfa_recovery_codes WHERE user_id = $1) AS codes`,
        [user.id],
      );
      expect(rows[0]).toEqual({ mfa: 0, codes: 0 });
      const { rows: audit } = await ctx.db.pool.query(
        `SELECT actor_user_id, changes FROM audit_events WHERE entity_id = $1 AND action = 'user.mfa_reset'`,
        [user.id],
      );
      expect(audit).toEqual([
        { actor_user_id: admin.userId, changes: { mfaEnabled: { from: true, to: false } } },
      ]);
      // Within the grace period: plain tokens again, and a new enrolment is possible.
      const again = await signIn(ctx.app, user.email, TEST_PASSWORD);
      await enrolMfa(ctx.app, again.accessToken);
    });

    it('is refused to every other role, on oneself and on another super admin', async () => {
      const { user } = await enrolledAdmin();
      for (const [role, level, code] of [
        ['national_admin', 'national', null],
        ['provincial_admin', 'province', 'GP'],
      ] as const) {
        const actor = await makeUser(ctx.app, admin, role, level, code);
        const s = await signIn(ctx.app, actor.email, TEST_PASSWORD);
        const res = await http()
          .delete(`/api/v1/users/${user.id}/mfa`)
          .set(...auth(s.accessToken));
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('FORBIDDEN');
      }
      const self = await http()
        .delete(`/api/v1/users/${admin.userId}/mfa`)
        .set(...auth(admin.accessToken));
      expect(self.status).toBe(403);
      const peer = await makeUser(ctx.app, admin, 'super_admin', 'national', null);
      const peerRes = await http()
        .delete(`/api/v1/users/${peer.id}/mfa`)
        .set(...auth(admin.accessToken));
      expect(peerRes.status).toBe(403);
      const unknown = await http()
        .delete('/api/v1/users/00000000-0000-4000-8000-000000000000/mfa')
        .set(...auth(admin.accessToken));
      expect(unknown.status).toBe(404);
      const { rows } = await ctx.db.pool.query(
        'SELECT enabled_at FROM user_mfa WHERE user_id = $1',
        [user.id],
      );
      expect(rows[0].enabled_at).not.toBeNull();
    });
  });

  describe('authorisation matrix of the MFA routes', () => {
    // role → [GET /auth/mfa, POST /auth/mfa/enrolment, POST …/confirm, POST /auth/mfa/verify (bogus challenge),
    //          DELETE /users/{id}/mfa]
    // prettier-ignore
    const MATRIX: [role: string, level: string, code: string | null, status: number, start: number, confirm: number, verify: number, reset: number][] = [
      ['super_admin',       'national',     null,       200, 201, 200, 401, 204],
      ['national_admin',    'national',     null,       200, 201, 200, 401, 403],
      ['provincial_admin',  'province',     'GP',       200, 201, 200, 401, 403],
      ['regional_admin',    'district',     'DC42',     200, 201, 200, 401, 403],
      ['subregional_admin', 'municipality', 'GT421',    200, 201, 200, 401, 403],
      ['ward_admin',        'ward',         '74201001', 200, 201, 200, 401, 403],
      ['auditor',           'province',     'GP',       200, 201, 200, 401, 403],
      ['member',            'ward',         '74201001', 200, 201, 200, 401, 403],
    ];
    let target: string;
    beforeAll(async () => {
      target = (await makeUser(ctx.app, admin, 'ward_admin', 'ward', '74201001')).id;
    });

    it('covers every MFA route in the OpenAPI document', async () => {
      const doc = await http().get('/docs-json').expect(200);
      const routes = Object.entries(doc.body.paths as Record<string, Record<string, unknown>>)
        .filter(([path]) => path.includes('mfa'))
        .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
        .sort();
      expect(routes).toEqual([
        'DELETE /api/v1/users/{id}/mfa',
        'GET /api/v1/auth/mfa',
        'POST /api/v1/auth/mfa/enrolment',
        'POST /api/v1/auth/mfa/enrolment/confirm',
        'POST /api/v1/auth/mfa/verify',
      ]);
    });

    it.each(MATRIX)(
      '%s: status %#',
      async (role, level, code, status, start, confirm, verify, reset) => {
        const session =
          role === 'super_admin'
            ? await signIn(ctx.app, TEST_ADMIN.email, TEST_ADMIN.password)
            : await signIn(
                ctx.app,
                (await makeUser(ctx.app, admin, role, level, code)).email,
                TEST_PASSWORD,
              );
        const a = auth(session.accessToken);
        const started = await http()
          .post('/api/v1/auth/mfa/enrolment')
          .set(...a);
        const secret = (started.body as { secret?: string }).secret;
        const actual = {
          status: (
            await http()
              .get('/api/v1/auth/mfa')
              .set(...a)
          ).status,
          start: started.status,
          confirm: (
            await http()
              .post('/api/v1/auth/mfa/enrolment/confirm')
              .set(...a)
              .send({ code: secret ? await freshCode(secret) : '000000' })
          ).status,
          verify: (
            await verifyRequest(ctx.app, { challengeToken: 'bogus-challenge', code: '123456' })
          ).status,
          reset: (
            await http()
              .delete(`/api/v1/users/${target}/mfa`)
              .set(...a)
          ).status,
        };
        expect(actual).toEqual({ status, start, confirm, verify, reset });
        if (role === 'super_admin') {
          // Leave the fixture admin without TOTP for the other cases (and the rest of this file).
          await ctx.db.pool.query('DELETE FROM user_mfa WHERE user_id = $1', [session.userId]);
        }
      },
    );

    it('without a token: 401 on every route but verify (public)', async () => {
      const ip = nextIp();
      const res = await Promise.all([
        http().get('/api/v1/auth/mfa').set('x-forwarded-for', ip),
        http().post('/api/v1/auth/mfa/enrolment').set('x-forwarded-for', ip),
        http()
          .post('/api/v1/auth/mfa/enrolment/confirm')
          .set('x-forwarded-for', ip)
          .send({ code: '123456' }),
        http().delete(`/api/v1/users/${target}/mfa`).set('x-forwarded-for', ip),
      ]);
      expect(res.map((r) => r.status)).toEqual([401, 401, 401, 401]);
    });
  });
});
