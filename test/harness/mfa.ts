import { setTimeout as sleep } from 'node:timers/promises';
import { generate } from 'otplib';
import type { Response } from 'supertest';
import { Session } from './auth.js';
import { nextIp } from './accounts.js';
import { RunningApp } from './test-app.js';

const PERIOD = 30;

/** The TOTP time step of now (what the server computes from the same clock). */
export const currentStep = (): number => Math.floor(Date.now() / 1000 / PERIOD);

/** The code of `step`, computed with otplib like an authenticator app would. */
export function codeAt(secret: string, step: number): Promise<string> {
  return generate({ secret, epoch: step * PERIOD });
}

/** Waits, when the current step ends within `margin` seconds, for the next one (no step change mid-request). */
export async function awayFromStepEdge(margin = 4): Promise<void> {
  const into = (Date.now() / 1000) % PERIOD;
  if (into > PERIOD - margin) await sleep((PERIOD - into + 0.2) * 1000);
}

const lastUsed = new Map<string, number>();

/**
 * A code the server has not accepted yet for `secret`: the current step's, or (when this process already used
 * it) the next one, waiting for its step when even that is used. Codes are single use per time step.
 */
export async function freshCode(secret: string): Promise<string> {
  for (;;) {
    await awayFromStepEdge();
    const now = currentStep();
    const step = Math.max(now, (lastUsed.get(secret) ?? -1) + 1);
    if (step <= now + 1) {
      lastUsed.set(secret, step);
      return codeAt(secret, step);
    }
    await sleep(((now + 1) * PERIOD - Date.now() / 1000 + 0.2) * 1000);
  }
}

/** Records that a code of `step` was used outside freshCode (so freshCode does not hand it out again). */
export function markUsed(secret: string, step: number): void {
  lastUsed.set(secret, Math.max(step, lastUsed.get(secret) ?? -1));
}

export interface Enrolment {
  secret: string;
  otpauthUri: string;
  qrCodePng: string;
  qrCodeSvg: string;
  recoveryCodes: string[];
}

/** Enrols TOTP for the holder of `bearerToken` (a session or an enrolment-only token) through the real routes. */
export async function enrolMfa(app: RunningApp, bearerToken: string): Promise<Enrolment> {
  const started = await app
    .http()
    .post('/api/v1/auth/mfa/enrolment')
    .set('authorization', `Bearer ${bearerToken}`)
    .set('x-forwarded-for', nextIp());
  if (started.status !== 201)
    throw new Error(`enrolment start failed: ${started.status} ${JSON.stringify(started.body)}`);
  const body = started.body as Omit<Enrolment, 'recoveryCodes'>;
  const confirmed = await app
    .http()
    .post('/api/v1/auth/mfa/enrolment/confirm')
    .set('authorization', `Bearer ${bearerToken}`)
    .set('x-forwarded-for', nextIp())
    .send({ code: await freshCode(body.secret) });
  if (confirmed.status !== 200)
    throw new Error(
      `enrolment confirm failed: ${confirmed.status} ${JSON.stringify(confirmed.body)}`,
    );
  return { ...body, recoveryCodes: (confirmed.body as { recoveryCodes: string[] }).recoveryCodes };
}

/** POST /auth/mfa/verify from a fresh address; the raw response. */
export function verifyRequest(
  app: RunningApp,
  body: { challengeToken: string; code?: string; recoveryCode?: string },
  ip = nextIp(),
): Promise<Response> {
  return app.http().post('/api/v1/auth/mfa/verify').set('x-forwarded-for', ip).send(body);
}

/** Signs in an account with TOTP: password, then a fresh code against the challenge. Throws unless both pass. */
export async function signInWithMfa(
  app: RunningApp,
  email: string,
  password: string,
  secret: string,
): Promise<Session> {
  const first = await app
    .http()
    .post('/api/v1/auth/login')
    .set('x-forwarded-for', nextIp())
    .send({ email, password });
  const challengeToken = (first.body as { challengeToken?: string }).challengeToken;
  if (first.status !== 200 || !challengeToken)
    throw new Error(`MFA login of ${email} failed: ${first.status} ${JSON.stringify(first.body)}`);
  const res = await verifyRequest(app, { challengeToken, code: await freshCode(secret) });
  if (res.status !== 200)
    throw new Error(`MFA verify of ${email} failed: ${res.status} ${JSON.stringify(res.body)}`);
  const body = res.body as { accessToken: string; refreshToken: string; user: { id: string } };
  return { accessToken: body.accessToken, refreshToken: body.refreshToken, userId: body.user.id };
}
