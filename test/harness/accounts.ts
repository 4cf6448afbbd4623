import { randomBytes } from 'node:crypto';
import type { Response } from 'supertest';
import { Session, TEST_PASSWORD } from './auth.js';
import { RunningApp } from './test-app.js';

let ipCounter = 0;
/**
 * A fresh client address for X-Forwarded-For (believed from loopback, TRUST_PROXY's default), so per-IP
 * counters and the strict auth throttle of one test do not leak into another.
 */
export function nextIp(): string {
  ipCounter += 1;
  return `10.${(process.pid >> 8) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
}

export interface CreatedUser {
  id: string;
  email: string;
  password: string;
  role: string;
  scopeLevel: string;
  scopeCode: string | null;
}

export function uniqueEmail(prefix: string): string {
  return `${prefix}.${randomBytes(5).toString('hex')}@test.local`.toLowerCase();
}

/** Creates a user through POST /api/v1/users as `admin` (no sign-in). */
export async function makeUser(
  app: RunningApp,
  admin: Session,
  role: string,
  scopeLevel: string,
  scopeCode: string | null,
  password = TEST_PASSWORD,
): Promise<CreatedUser> {
  const email = uniqueEmail(`${role}.${scopeCode ?? 'national'}`);
  const res = await app
    .http()
    .post('/api/v1/users')
    .set('authorization', `Bearer ${admin.accessToken}`)
    .send({ email, name: `Test ${role}`, password, role, scopeLevel, scopeCode });
  if (res.status !== 201) {
    throw new Error(`creating ${role} failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return { id: (res.body as { id: string }).id, email, password, role, scopeLevel, scopeCode };
}

/** POST /auth/login from `ip`; the raw response. */
export async function loginRequest(
  app: RunningApp,
  email: string,
  password: string,
  ip = nextIp(),
): Promise<Response> {
  return await app
    .http()
    .post('/api/v1/auth/login')
    .set('x-forwarded-for', ip)
    .send({ email, password });
}

/** Signs in from a fresh address; throws unless it succeeds. */
export async function signIn(app: RunningApp, email: string, password: string): Promise<Session> {
  const res = await loginRequest(app, email, password);
  if (res.status !== 200) {
    throw new Error(`login of ${email} failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  const body = res.body as { accessToken: string; refreshToken: string; user: { id: string } };
  return { accessToken: body.accessToken, refreshToken: body.refreshToken, userId: body.user.id };
}

/** A problem body without the per-request fields, for comparing two answers. */
export function stable(body: unknown): Record<string, unknown> {
  const { requestId: _r, ...rest } = body as Record<string, unknown>;
  return rest;
}
