import { randomBytes } from 'node:crypto';
import { nextIp, signIn, uniqueEmail } from './accounts.js';
import { login, Session, TEST_PASSWORD } from './auth.js';
import { createMember, MemberBody } from './members.js';
import type { RunningApp, TestDatabase } from './test-app.js';

/**
 * A `member` user linked to `memberId` (the account the claim flow would create), made through POST /users by
 * an admin, then signed in. The portal (/me) acts on this member only.
 */
export async function memberSession(
  app: RunningApp,
  admin: Session,
  memberId: string,
  wardCode: string,
): Promise<Session> {
  const email = `member.${randomBytes(5).toString('hex')}@test.local`;
  const res = await app
    .http()
    .post('/api/v1/users')
    .set('authorization', `Bearer ${admin.accessToken}`)
    .send({
      email,
      name: 'Test member',
      password: TEST_PASSWORD,
      role: 'member',
      scopeLevel: 'ward',
      scopeCode: wardCode,
      memberId,
    });
  if (res.status !== 201)
    throw new Error(`creating a member user failed: ${res.status} ${JSON.stringify(res.body)}`);
  return login(app, email, TEST_PASSWORD);
}

const MEMBER_PASSWORD = 'Branch-Member-Card-2027!';

/**
 * A member created by `admin` with a `member` user of its own, through the real claim flow (POST /me/claim, the
 * code read from the messaging outbox, POST /me/claim/complete), signed in. Start the app with
 * MESSAGING_DISPATCH_INTERVAL_MS=0 so the message stays in the outbox.
 */
export async function claimedMember(
  app: RunningApp,
  db: TestDatabase,
  admin: Session,
  overrides: Record<string, unknown> = {},
): Promise<{ member: MemberBody; session: Session }> {
  const member = await createMember(app, admin, { cellNumber: '0821112233', ...overrides });
  const started = await app
    .http()
    .post('/api/v1/me/claim')
    .set('x-forwarded-for', nextIp())
    .send({ idNumber: member.idNumber, membershipNumber: member.membershipNumber });
  if (started.status !== 202) throw new Error(`claim start: ${started.status}`);
  const deadline = Date.now() + 15_000;
  let code: string | undefined;
  while (!code) {
    const { rows } = await db.pool.query<{ body: string }>(
      `SELECT body FROM messaging_outbox
        WHERE recipient_member_id = $1 AND kind = 'account_claim' ORDER BY created_at DESC LIMIT 1`,
      [member.id],
    );
    code = rows[0] ? /code is (\d{6})/.exec(rows[0].body)?.[1] : undefined;
    if (!code) {
      if (Date.now() > deadline) throw new Error('no claim message in the outbox');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const email = uniqueEmail('card-member');
  const done = await app
    .http()
    .post('/api/v1/me/claim/complete')
    .set('x-forwarded-for', nextIp())
    .send({
      idNumber: member.idNumber,
      membershipNumber: member.membershipNumber,
      code,
      email,
      newPassword: MEMBER_PASSWORD,
    });
  if (done.status !== 201)
    throw new Error(`claim complete: ${done.status} ${JSON.stringify(done.body)}`);
  return { member, session: await signIn(app, email, MEMBER_PASSWORD) };
}
