import { randomBytes } from 'node:crypto';
import { RunningApp, TEST_ADMIN } from './test-app.js';

export interface Session {
  accessToken: string;
  refreshToken: string;
  userId: string;
}

export interface TestUser extends Session {
  email: string;
  password: string;
  role: string;
  scopeLevel: string;
  scopeCode: string | null;
}

export const TEST_PASSWORD = 'Ward-Organiser-Pass-2026!';

/** Signs in through the real /auth/login route. */
export async function login(app: RunningApp, email: string, password: string): Promise<Session> {
  const res = await app.http().post('/api/v1/auth/login').send({ email, password });
  if (res.status !== 200 && res.status !== 201) {
    throw new Error(`login of ${email} failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  const body = res.body as { accessToken: string; refreshToken: string; user: { id: string } };
  return { accessToken: body.accessToken, refreshToken: body.refreshToken, userId: body.user.id };
}

export function loginAsSuperAdmin(app: RunningApp): Promise<Session> {
  return login(app, TEST_ADMIN.email, TEST_ADMIN.password);
}

/**
 * Creates a user through POST /api/v1/users as the super admin and signs them in.
 * E.g. createUser(app, admin, 'provincial_admin', 'province', 'GP').
 */
export async function createUser(
  app: RunningApp,
  admin: Session,
  role: string,
  scopeLevel: string,
  scopeCode: string | null,
): Promise<TestUser> {
  const email =
    `${role}.${scopeCode ?? 'national'}.${randomBytes(4).toString('hex')}@test.local`.toLowerCase();
  const res = await app
    .http()
    .post('/api/v1/users')
    .set('authorization', `Bearer ${admin.accessToken}`)
    .send({ email, name: `Test ${role}`, password: TEST_PASSWORD, role, scopeLevel, scopeCode });
  if (res.status !== 201) {
    throw new Error(`creating ${role} failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  const session = await login(app, email, TEST_PASSWORD);
  return { ...session, email, password: TEST_PASSWORD, role, scopeLevel, scopeCode };
}

export const bearer = (session: Session): [string, string] => [
  'authorization',
  `Bearer ${session.accessToken}`,
];
