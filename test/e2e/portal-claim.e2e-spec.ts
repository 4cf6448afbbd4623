import { loginRequest, nextIp, signIn, stable, uniqueEmail } from '../harness/accounts.js';
import { bearer, Session } from '../harness/auth.js';
import { createMember, validIdNumber, WARDS } from '../harness/members.js';
import {
  createTestDatabase,
  RunningApp,
  startApp,
  TEST_ADMIN,
  TestDatabase,
} from '../harness/test-app.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const PASSWORD = 'Branch-Member-Portal-2027!';

describe('member portal: claim an account and my membership (e2e)', () => {
  let db: TestDatabase;
  let app: RunningApp;
  let admin: Session;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startApp(db, { AUTH_THROTTLE_LIMIT: '50', MESSAGING_DISPATCH_INTERVAL_MS: '0' });
    admin = await signIn(app, TEST_ADMIN.email, TEST_ADMIN.password);
  });
  afterAll(async () => {
    await app?.stop();
    await db?.drop();
  });

  const start = (idNumber: string, membershipNumber: string, ip = nextIp()) =>
    app
      .http()
      .post('/api/v1/me/claim')
      .set('x-forwarded-for', ip)
      .send({ idNumber, membershipNumber });
  const complete = (body: Record<string, unknown>) =>
    app.http().post('/api/v1/me/claim/complete').set('x-forwarded-for', nextIp()).send(body);

  /** The code of the latest claim message to this member (the SMS body in the outbox). */
  async function codeFor(memberId: string, count = 1): Promise<string> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { rows } = await db.pool.query<{ body: string; recipient: string; channel: string }>(
        `SELECT body, recipient, channel FROM messaging_outbox
          WHERE recipient_member_id = $1 AND kind = 'account_claim' ORDER BY created_at`,
        [memberId],
      );
      if (rows.length >= count) {
        const match = /code is (\d{6})/.exec(rows.at(-1)!.body);
        if (!match?.[1]) throw new Error('no code in the message');
        return match[1];
      }
      if (Date.now() > deadline) throw new Error('no claim message');
      await sleep(100);
    }
  }
  const outboxCount = async (): Promise<number> =>
    (
      await db.pool.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM messaging_outbox WHERE kind = 'account_claim'",
      )
    ).rows[0]!.n;

  it('claim → sign in → read and update my record; the code is single-use and stored hashed', async () => {
    const member = await createMember(app, admin, { cellNumber: '0821112233' });
    const first = await start(member.idNumber, member.membershipNumber);
    expect(first.status).toBe(202);
    const code = await codeFor(member.id);
    const { rows: outbox } = await db.pool.query<{ recipient: string; channel: string }>(
      "SELECT recipient, channel FROM messaging_outbox WHERE recipient_member_id = $1 AND kind = 'account_claim'",
      [member.id],
    );
    expect(outbox[0]).toMatchObject({ recipient: '+27821112233', channel: 'sms' });
    const { rows: claims } = await db.pool.query<{ code_hash: string }>(
      'SELECT code_hash FROM account_claims WHERE member_id = $1',
      [member.id],
    );
    expect(claims[0]!.code_hash).not.toContain(code);

    const email = uniqueEmail('member');
    const base = { idNumber: member.idNumber, membershipNumber: member.membershipNumber, email };
    const wrong = await complete({
      ...base,
      code: code === '000000' ? '000001' : '000000',
      newPassword: PASSWORD,
    });
    expect(wrong.status).toBe(400);
    const weak = await complete({ ...base, code, newPassword: 'short' });
    expect(weak.status).toBe(400);
    const done = await complete({ ...base, code, newPassword: PASSWORD });
    expect(done.status).toBe(201);
    expect(done.body).toEqual({ email });
    const again = await complete({ ...base, code, newPassword: PASSWORD });
    expect(again.status).toBe(400);
    expect(stable(again.body)).toEqual(stable(wrong.body));

    const session = await signIn(app, email, PASSWORD);
    const me = await app
      .http()
      .get('/api/v1/me/membership')
      .set(...bearer(session));
    expect(me.status).toBe(200);
    expect(me.body.member).toMatchObject({
      id: member.id,
      membershipNumber: member.membershipNumber,
    });
    expect(me.body.ward).toMatchObject({ code: WARDS.own });
    expect(Array.isArray(me.body.renewals)).toBe(true);

    const bad = await app
      .http()
      .patch('/api/v1/me/contact')
      .set(...bearer(session))
      .send({ version: me.body.member.version, cellNumber: '12345' });
    expect(bad.status).toBe(400);
    const changed = await app
      .http()
      .patch('/api/v1/me/contact')
      .set(...bearer(session))
      .send({
        version: me.body.member.version,
        cellNumber: '0837654321',
        email: 'mine@example.org',
      });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ cellNumber: '+27837654321', email: 'mine@example.org' });
    const unknownField = await app
      .http()
      .patch('/api/v1/me/contact')
      .set(...bearer(session))
      .send({ version: changed.body.version, surname: 'Other' });
    expect(unknownField.status).toBe(400);
    const { rows: history } = await db.pool.query(
      "SELECT kind FROM member_history WHERE member_id = $1 AND kind = 'updated'",
      [member.id],
    );
    expect(history.length).toBeGreaterThanOrEqual(1);

    const objected = await app
      .http()
      .post('/api/v1/me/contact-objection')
      .set(...bearer(session));
    expect(objected.status).toBe(200);
    const objectedAt = async (): Promise<Date | null> =>
      (
        await db.pool.query<{ contact_objected_at: Date | null }>(
          'SELECT contact_objected_at FROM members WHERE id = $1',
          [member.id],
        )
      ).rows[0]!.contact_objected_at;
    expect(await objectedAt()).not.toBeNull();
    const consented = await app
      .http()
      .delete('/api/v1/me/contact-objection')
      .set(...bearer(session));
    expect(consented.status).toBe(200);
    expect(await objectedAt()).toBeNull();

    // The member role still gets 403 on the admin routes.
    const adminRoute = await app
      .http()
      .get(`/api/v1/members/${member.id}`)
      .set(...bearer(session));
    expect(adminRoute.status).toBe(403);
    const list = await app
      .http()
      .get('/api/v1/members')
      .set(...bearer(session));
    expect(list.status).toBe(403);
    // An admin has no member link: /me answers 403 (no me:read permission).
    const adminMe = await app
      .http()
      .get('/api/v1/me/membership')
      .set(...bearer(admin));
    expect(adminMe.status).toBe(403);

    // A pair that already has an account: same answer, nothing sent.
    const before = await outboxCount();
    const claimed = await start(member.idNumber, member.membershipNumber);
    expect(claimed.status).toBe(202);
    expect(claimed.body).toEqual(first.body);
    await sleep(500);
    expect(await outboxCount()).toBe(before);
    expect((await loginRequest(app, email, PASSWORD)).status).toBe(200);
  });

  it('answers existing and unknown pairs alike and creates nothing for strangers', async () => {
    const member = await createMember(app, admin);
    const before = await outboxCount();
    const known = await start(member.idNumber, member.membershipNumber);
    const unknownPair = await start(validIdNumber(), member.membershipNumber);
    const wrongNumber = await start(member.idNumber, 'EFF00000000000');
    for (const res of [known, unknownPair, wrongNumber]) {
      expect(res.status).toBe(202);
      expect(res.body).toEqual(known.body);
    }
    await codeFor(member.id);
    await sleep(300);
    expect(await outboxCount()).toBe(before + 1);

    const code = await codeFor(member.id);
    const strangerComplete = await complete({
      idNumber: validIdNumber(),
      membershipNumber: member.membershipNumber,
      code,
      email: uniqueEmail('stranger'),
      newPassword: PASSWORD,
    });
    const wrongCode = await complete({
      idNumber: member.idNumber,
      membershipNumber: member.membershipNumber,
      code: code === '999999' ? '999998' : '999999',
      email: uniqueEmail('stranger'),
      newPassword: PASSWORD,
    });
    expect(strangerComplete.status).toBe(400);
    expect(stable(strangerComplete.body)).toEqual(stable(wrongCode.body));
    const { rows } = await db.pool.query('SELECT 1 FROM users WHERE member_id = $1', [member.id]);
    expect(rows).toHaveLength(0);
  });

  it('throttles claims per ID number and voids a code after 5 wrong tries', async () => {
    const member = await createMember(app, admin);
    await start(member.idNumber, member.membershipNumber);
    const code = await codeFor(member.id);
    const base = {
      idNumber: member.idNumber,
      membershipNumber: member.membershipNumber,
      email: uniqueEmail('member'),
      newPassword: PASSWORD,
    };
    for (let i = 0; i < 4; i += 1) {
      const res = await complete({ ...base, code: code === '111111' ? '222222' : '111111' });
      expect(res.status).toBe(400);
    }
    // The 5th completion attempt for this ID number within the hour is refused, even with the right code.
    const fifth = await complete({ ...base, code: code === '111111' ? '222222' : '111111' });
    expect(fifth.status).toBe(400);
    const sixth = await complete({ ...base, code });
    expect(sixth.status).toBe(429);
    const { rows } = await db.pool.query('SELECT 1 FROM users WHERE member_id = $1', [member.id]);
    expect(rows).toHaveLength(0);

    // Starts: past 5 an hour for one ID number nothing more is sent, and the answer stays the same.
    const other = await createMember(app, admin);
    const answers = [];
    for (let i = 0; i < 7; i += 1)
      answers.push(await start(other.idNumber, other.membershipNumber));
    for (const res of answers) expect(res.status).toBe(202);
    await sleep(800);
    const { rows: sent } = await db.pool.query(
      "SELECT 1 FROM messaging_outbox WHERE recipient_member_id = $1 AND kind = 'account_claim'",
      [other.id],
    );
    expect(sent).toHaveLength(5);
  });
});
