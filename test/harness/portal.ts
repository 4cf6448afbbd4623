import { randomBytes } from 'node:crypto';
import { login, Session, TEST_PASSWORD } from './auth.js';
import { RunningApp } from './test-app.js';

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
