import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { APP_CONFIG, AppException, ErrorCode, projectPath } from '@app/core';
import type { AppConfig } from '@app/core';
import { AuthUser } from './auth-user.js';
import { Role } from './roles.js';
import { isValidScope, Scope, ScopeLevel } from './scope.js';
import { SessionStore } from './sessions/session.store.js';

export const JWT_ALGORITHM = 'HS256';

export interface AccessTokenClaims {
  sub: string;
  sid: string;
  email: string;
  role: Role;
  scope: Scope;
  mid: string | null;
  /** Password change required: the session reaches only the password-change route (and logout). */
  pcr?: boolean;
  /** MFA enrolment only: the session reaches only the TOTP enrolment routes (and logout). */
  mfe?: boolean;
}

/**
 * JWT_SECRET when configured (required in production). Otherwise a secret kept in .data/jwt-secret, so local
 * restarts and several local processes agree.
 */
export function resolveJwtSecret(config: AppConfig): string {
  if (config.JWT_SECRET) return config.JWT_SECRET;
  const file = projectPath('.data', 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(path.dirname(file), { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
  return secret;
}

const ROLES = new Set<string>(Object.values(Role));

function isClaims(value: unknown): value is AccessTokenClaims {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  return (
    typeof c.sub === 'string' &&
    typeof c.sid === 'string' &&
    typeof c.email === 'string' &&
    typeof c.role === 'string' &&
    ROLES.has(c.role) &&
    isValidScope(c.scope as Scope) &&
    (c.mid === null || typeof c.mid === 'string') &&
    (c.pcr === undefined || typeof c.pcr === 'boolean') &&
    (c.mfe === undefined || typeof c.mfe === 'boolean')
  );
}

export const unauthenticated = (detail = 'A valid access token is required'): AppException =>
  new AppException(401, ErrorCode.Unauthenticated, detail);

/** Signs access tokens and turns verified claims into the caller, checking the session is still live. */
@Injectable()
export class TokenService {
  constructor(
    private readonly jwt: JwtService,
    private readonly sessions: SessionStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  sign(claims: AccessTokenClaims): Promise<string> {
    return this.jwt.signAsync({ ...claims });
  }

  /** Verifies signature (HS256 only), issuer, audience and expiry, then the session. */
  async verify(token: string): Promise<AuthUser & { expiresAt: number }> {
    let payload: unknown;
    try {
      payload = await this.jwt.verifyAsync(token, {
        algorithms: [JWT_ALGORITHM],
        issuer: this.config.JWT_ISSUER,
        audience: this.config.JWT_AUDIENCE,
      });
    } catch {
      throw unauthenticated('The access token is invalid or expired');
    }
    const user = await this.toAuthUser(payload);
    // Non-HTTP callers (sockets) have no enrolment routes: an enrolment-only token is no token there.
    if (user.mfaEnrolmentOnly)
      throw unauthenticated('An MFA enrolment token only reaches enrolment');
    return { ...user, expiresAt: Number((payload as { exp: number }).exp) * 1000 };
  }

  /** Claims already verified (by passport-jwt or verify) → the caller, if its session is live. */
  async toAuthUser(payload: unknown): Promise<AuthUser> {
    if (!isClaims(payload)) throw unauthenticated('The access token is invalid');
    let live: boolean;
    try {
      live = await this.sessions.isLive(payload.sid, payload.sub);
    } catch {
      throw new AppException(
        503,
        ErrorCode.ServiceUnavailable,
        'Sessions cannot be checked right now; retry shortly',
      );
    }
    if (!live) throw unauthenticated('The session has ended; sign in again');
    return {
      id: payload.sub,
      email: payload.email,
      role: payload.role,
      scope:
        payload.scope.level === ScopeLevel.National
          ? { level: ScopeLevel.National, code: null }
          : payload.scope,
      memberId: payload.mid,
      sessionId: payload.sid,
      passwordChangeRequired: payload.pcr === true,
      ...(payload.mfe === true ? { mfaEnrolmentOnly: true } : {}),
    };
  }
}
