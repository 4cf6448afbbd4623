import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import {
  APP_CONFIG,
  AppException,
  AuditService,
  DomainEventBus,
  DomainEventType,
  ErrorCode,
  METRIC,
  MetricsService,
} from '@app/core';
import type { AppConfig } from '@app/core';
import { AuthUser } from './auth-user.js';
import {
  AuthenticatedUserDto,
  LoginResponseDto,
  SessionDto,
  TokenPairDto,
} from './dto/auth.dto.js';
import { hashPassword, passwordProblem, verifyPassword } from './password-policy.js';
import { LoginAttempts } from './sessions/login-attempts.js';
import { SessionRevoker } from './sessions/session-revoker.js';
import {
  newSecret,
  parseRefreshToken,
  RefreshOutcome,
  sha256,
  SessionStore,
} from './sessions/session.store.js';
import { ScopeLevel } from './scope.js';
import { AccessTokenClaims, TokenService, unauthenticated } from './token.service.js';
import { MfaChallengeDto, MfaStatusDto } from './mfa/mfa.dto.js';
import { MfaService } from './mfa/mfa.service.js';
import { Account, UserAccounts } from './user-accounts.js';

/** Longest user agent kept with a session (headers can be long; the list only needs to recognise the client). */
const MAX_USER_AGENT = 256;
const SESSION_ID = /^[A-Za-z0-9_-]{16,64}$/;

const FAILED_LOGIN_REASONS = [
  'unknown_email',
  'wrong_password',
  'locked',
  'disabled',
  'wrong_mfa_code',
  'mfa_code_reused',
] as const;

const CHALLENGE_INVALID = (): AppException =>
  new AppException(
    HttpStatus.UNAUTHORIZED,
    ErrorCode.MfaChallengeInvalid,
    'The sign-in challenge is unknown, expired or already used; sign in again',
  );

const INVALID_CREDENTIALS = (): AppException =>
  new AppException(
    HttpStatus.UNAUTHORIZED,
    ErrorCode.InvalidCredentials,
    'Email or password is incorrect',
  );

export function toAuthenticatedUser(account: Account): AuthenticatedUserDto {
  return {
    id: account.id,
    email: account.email,
    name: account.name,
    role: account.role,
    scopeLevel: account.scopeLevel,
    scopeCode: account.scopeCode,
    memberId: account.memberId,
  };
}

@Injectable()
export class AuthService {
  private readonly failedLogins;

  constructor(
    private readonly accounts: UserAccounts,
    private readonly sessions: SessionStore,
    readonly revoker: SessionRevoker,
    private readonly attempts: LoginAttempts,
    private readonly tokens: TokenService,
    private readonly mfa: MfaService,
    private readonly audit: AuditService,
    private readonly events: DomainEventBus,
    metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.failedLogins = metrics.counter({
      name: METRIC.failedLogins,
      help: 'Failed sign-ins by reason',
      labelNames: ['reason'] as const,
    });
    // Every reason exists from the start (at 0), so rate() and alerts see the first failure.
    for (const reason of FAILED_LOGIN_REASONS) this.failedLogins.inc({ reason }, 0);
    metrics.gauge({
      name: METRIC.activeSessions,
      help: 'Live sessions (signed-in users)',
      collect: async function (this: { set(v: number): void }) {
        this.set(await sessions.countLive().catch(() => 0));
      },
    });
  }

  /**
   * Unknown email, wrong password, locked and disabled accounts all get the same answer after the same work
   * (an argon2 verification, against a dummy hash when there is no account) and the same growing delay.
   *
   * Every attempt first takes a number from the account's counter (atomic in Redis, shared by every process), and
   * only then reads the account: of a burst sent in parallel, only the first LOGIN_MAX_FAILURES are judged on
   * the password; the rest are refused as locked whatever they carry, and the one that reaches the limit keeps
   * the counter past it for LOGIN_LOCK_SECONDS.
   */
  async login(
    email: string,
    password: string,
    ip: string,
    userAgent?: string,
  ): Promise<LoginResponseDto | MfaChallengeDto> {
    return this.countedByAddress(ip, () => this.checkPassword(email, password, ip, userAgent));
  }

  private async checkPassword(
    email: string,
    password: string,
    ip: string,
    userAgent?: string,
  ): Promise<LoginResponseDto | MfaChallengeDto> {
    const attempt = await this.attempts.reserve('account', email);
    const account = await this.accounts.findByEmail(email);
    const passwordOk = await verifyPassword(account?.passwordHash ?? null, password);
    if (attempt > 2) await sleep(Math.min(250 * 2 ** (attempt - 3), 4000));

    const lockedBefore = account?.lockedUntil ? account.lockedUntil.getTime() > Date.now() : false;
    const locked = lockedBefore || attempt > this.config.LOGIN_MAX_FAILURES;
    if (!account || !passwordOk || locked || !account.active) {
      const reason: (typeof FAILED_LOGIN_REASONS)[number] = !account
        ? 'unknown_email'
        : locked
          ? 'locked'
          : !account.active
            ? 'disabled'
            : 'wrong_password';
      await this.recordFailure(
        email,
        account,
        attempt,
        lockedBefore,
        ip,
        reason,
        'auth.login_failed',
      );
      throw INVALID_CREDENTIALS();
    }

    await this.attempts.clear('account', email);
    if (await this.mfa.isEnabled(account.id)) {
      const challenge = await this.mfa.createChallenge(account.id);
      await this.audit.record({
        action: 'auth.mfa_challenge_issued',
        entityType: 'user',
        entityId: account.id,
        actorUserId: account.id,
      });
      return {
        mfaRequired: true,
        challengeToken: challenge.challengeToken,
        expiresAt: challenge.expiresAt.toISOString(),
      };
    }
    const deadline = this.mfa.enrolmentDeadline(account);
    if (deadline && deadline.getTime() <= Date.now())
      throw await this.enrolmentRequired(account, ip, userAgent);
    return this.completeSignIn(account, ip, userAgent, 'password');
  }

  /**
   * The second step of a sign-in with TOTP: the challenge from login and a TOTP code or a recovery code. Every
   * attempt takes a number from the account's login counter first (like a password attempt): wrong codes count
   * towards LOGIN_MAX_FAILURES, and once it is reached the account is locked for LOGIN_LOCK_SECONDS whatever the
   * code (the password sign-in too). A TOTP code is accepted once; the challenge is used up by the success.
   */
  async verifyMfa(
    challengeToken: string,
    input: { code?: string | undefined; recoveryCode?: string | undefined },
    ip: string,
    userAgent?: string,
  ): Promise<LoginResponseDto> {
    if ((input.code === undefined) === (input.recoveryCode === undefined))
      throw AppException.badRequest('Give exactly one of code and recoveryCode', 'code', 'oneOf');
    return this.countedByAddress(ip, () => this.checkCode(challengeToken, input, ip, userAgent));
  }

  private async checkCode(
    challengeToken: string,
    input: { code?: string | undefined; recoveryCode?: string | undefined },
    ip: string,
    userAgent?: string,
  ): Promise<LoginResponseDto> {
    const userId = await this.mfa.challengeUser(challengeToken);
    const account = userId ? await this.accounts.findById(userId) : null;
    if (!account || !account.active) throw CHALLENGE_INVALID();
    const attempt = await this.attempts.reserve('account', account.email);
    const lockedBefore = account.lockedUntil ? account.lockedUntil.getTime() > Date.now() : false;
    const locked = lockedBefore || attempt > this.config.LOGIN_MAX_FAILURES;
    const check = locked ? null : await this.mfa.checkCode(account.id, input);
    if (!check?.ok) {
      const reason = !check
        ? 'locked'
        : check.reason === 'reused'
          ? 'mfa_code_reused'
          : 'wrong_mfa_code';
      await this.recordFailure(
        account.email,
        account,
        attempt,
        lockedBefore,
        ip,
        reason,
        'auth.mfa_failed',
      );
      if (check?.reason === 'reused')
        throw new AppException(
          HttpStatus.UNAUTHORIZED,
          ErrorCode.MfaCodeReused,
          'This code was already used; wait for the next one',
        );
      throw new AppException(
        HttpStatus.UNAUTHORIZED,
        ErrorCode.MfaCodeInvalid,
        'The code is not valid',
      );
    }
    if (!(await this.mfa.consumeChallenge(challengeToken))) throw CHALLENGE_INVALID();
    await this.attempts.clear('account', account.email);
    return this.completeSignIn(account, ip, userAgent, check.method);
  }

  /**
   * The 403 MFA_ENROLMENT_REQUIRED of a sign-in past the deadline, carrying an enrolment-only token: an access
   * token (claim mfe) of a session that lives ACCESS_TOKEN_TTL_SECONDS, has no refresh token, and that the guard
   * lets through only the routes marked @MfaEnrolmentRoute() (start and confirm enrolment, status, logout).
   */
  private async enrolmentRequired(
    account: Account,
    ip: string,
    userAgent: string | undefined,
  ): Promise<AppException> {
    const pair = await this.startSession(account, ip, userAgent, {
      enrolmentOnly: true,
      ttlSeconds: this.config.ACCESS_TOKEN_TTL_SECONDS,
    });
    await this.audit.record({
      action: 'auth.login_mfa_enrolment_required',
      entityType: 'user',
      entityId: account.id,
      actorUserId: account.id,
    });
    return new AppException(
      HttpStatus.FORBIDDEN,
      ErrorCode.MfaEnrolmentRequired,
      `Your role must use two-factor authentication (the ${this.config.MFA_ENROLMENT_GRACE_DAYS}-day grace period has passed). Enrol with enrolmentToken as the bearer token (POST /api/v1/auth/mfa/enrolment, then POST /api/v1/auth/mfa/enrolment/confirm), then sign in again`,
      undefined,
      {
        enrolmentToken: pair.accessToken,
        enrolmentTokenExpiresAt: new Date(
          Date.now() + this.config.ACCESS_TOKEN_TTL_SECONDS * 1000,
        ).toISOString(),
      },
    );
  }

  private async completeSignIn(
    account: Account,
    ip: string,
    userAgent: string | undefined,
    method: 'password' | 'totp' | 'recovery_code',
  ): Promise<LoginResponseDto> {
    const pair = await this.startSession(account, ip, userAgent);
    // Disabling, a password change or a new role/scope that committed while this sign-in was checking the
    // password revoked the user's sessions before this one existed: look again now that it does.
    const fresh = await this.accounts.findById(account.id);
    if (
      !fresh?.active ||
      fresh.passwordHash !== account.passwordHash ||
      fresh.role !== account.role ||
      fresh.scopeLevel !== account.scopeLevel ||
      fresh.scopeCode !== account.scopeCode ||
      fresh.passwordChangeRequired !== account.passwordChangeRequired
    ) {
      await this.sessions.revoke(pair.sessionId);
      throw INVALID_CREDENTIALS();
    }
    await this.accounts.recordLoginSuccess(account.id);
    await this.audit.record({
      action: 'auth.login_succeeded',
      entityType: 'user',
      entityId: account.id,
      actorUserId: account.id,
      ...(method === 'password' ? {} : { changes: { secondFactor: method } }),
    });
    const { sessionId: _sessionId, ...tokens } = pair;
    return { ...tokens, user: toAuthenticatedUser(account) };
  }

  /**
   * Takes a number from the address's failure counter before anything is checked (atomic, shared by every
   * process), so of a parallel burst from one address only LOGIN_MAX_FAILURES_PER_IP are judged and the rest
   * answer 429. The number is kept when the attempt fails (401) and given back otherwise: sign-ins that succeed
   * never count against the address.
   */
  private async countedByAddress<T>(ip: string, attempt: () => Promise<T>): Promise<T> {
    const taken = await this.attempts.reserve('ip', ip);
    let failed = false;
    try {
      if (taken > this.config.LOGIN_MAX_FAILURES_PER_IP)
        throw new AppException(
          HttpStatus.TOO_MANY_REQUESTS,
          ErrorCode.RateLimited,
          'Too many failed sign-ins from this address; retry later',
        );
      return await attempt();
    } catch (error) {
      failed = error instanceof AppException && error.getStatus() === 401;
      throw error;
    } finally {
      if (!failed) await this.attempts.release('ip', ip);
    }
  }

  private async recordFailure(
    email: string,
    account: Account | null,
    attempt: number,
    lockedBefore: boolean,
    ip: string,
    reason: (typeof FAILED_LOGIN_REASONS)[number],
    action: string,
  ): Promise<void> {
    if (attempt === this.config.LOGIN_MAX_FAILURES)
      await this.attempts.holdFor('account', email, this.config.LOGIN_LOCK_SECONDS);
    const lockedUntil =
      account && !lockedBefore && attempt >= this.config.LOGIN_MAX_FAILURES
        ? new Date(Date.now() + this.config.LOGIN_LOCK_SECONDS * 1000)
        : null;
    // The account's own bookkeeping runs alongside the audit insert every failure makes, so a known
    // email does not answer measurably later than an unknown one.
    await Promise.all([
      account ? this.accounts.recordLoginFailure(account.id, lockedUntil) : undefined,
      this.audit.record({
        action,
        entityType: 'user',
        entityId: account?.id ?? null,
        actorUserId: null,
        changes: { reason, ...(lockedUntil ? { lockedUntil: lockedUntil.toISOString() } : {}) },
      }),
    ]);
    this.failedLogins.inc({ reason });
  }

  async refresh(refreshToken: string): Promise<TokenPairDto> {
    const parsed = parseRefreshToken(refreshToken);
    if (!parsed) throw unauthenticated('The refresh token is invalid');
    const owner = (await this.sessions.get(parsed.sessionId))?.userId ?? null;
    const next = newSecret();
    const expiresAt = Date.now() + this.config.REFRESH_TOKEN_TTL_SECONDS * 1000;
    const outcome = await this.sessions.rotate(
      parsed.sessionId,
      sha256(parsed.secret),
      sha256(next),
      expiresAt,
    );
    if (outcome === RefreshOutcome.Reused) {
      await this.audit.record({
        action: 'auth.refresh_reused',
        entityType: 'session',
        entityId: parsed.sessionId,
        actorUserId: null,
        changes: { revoked: 'session family', userId: owner },
      });
      if (owner)
        this.events.publish({
          type: DomainEventType.SessionsRevoked,
          area: null,
          userId: owner,
          sessionIds: [parsed.sessionId],
          payload: { reason: 'refresh_token_reused' },
        });
      throw unauthenticated('The refresh token was already used; the session has been ended');
    }
    if (outcome !== RefreshOutcome.Rotated)
      throw unauthenticated('The refresh token is invalid or expired');
    const session = await this.sessions.get(parsed.sessionId);
    const account = session ? await this.accounts.findById(session.userId) : null;
    if (!session || !account || !account.active) {
      await this.sessions.revoke(parsed.sessionId);
      throw unauthenticated('The session has ended; sign in again');
    }
    // A session from before the enrolment deadline is not renewed past it: the next sign-in hands out the
    // enrolment-only token.
    const deadline = this.mfa.enrolmentDeadline(account);
    if (deadline && deadline.getTime() <= Date.now() && !(await this.mfa.isEnabled(account.id))) {
      await this.sessions.revoke(parsed.sessionId);
      throw new AppException(
        HttpStatus.FORBIDDEN,
        ErrorCode.MfaEnrolmentRequired,
        'Your role must use two-factor authentication and the grace period has passed; sign in again to enrol',
      );
    }
    return {
      accessToken: await this.tokens.sign(this.claims(account, session.id)),
      refreshToken: `${session.id}.${next}`,
      expiresIn: this.config.ACCESS_TOKEN_TTL_SECONDS,
      tokenType: 'Bearer',
      passwordChangeRequired: account.passwordChangeRequired,
    };
  }

  async logout(user: AuthUser): Promise<void> {
    await this.sessions.revoke(user.sessionId);
    await this.audit.record({
      action: 'auth.logout',
      entityType: 'session',
      entityId: user.sessionId,
    });
    this.events.publish({
      type: DomainEventType.SessionsRevoked,
      area: null,
      userId: user.id,
      sessionIds: [user.sessionId],
      payload: { reason: 'logout' },
    });
  }

  async listSessions(user: AuthUser): Promise<SessionDto[]> {
    const sessions = await this.sessions.listForUser(user.id);
    return sessions.map((session) => ({
      id: session.id,
      createdAt: new Date(session.createdAt).toISOString(),
      lastUsedAt: new Date(session.lastUsedAt ?? session.createdAt).toISOString(),
      expiresAt: new Date(session.expiresAt).toISOString(),
      address: session.address ?? null,
      userAgent: session.userAgent ?? null,
      current: session.id === user.sessionId,
    }));
  }

  /** Ends one of the caller's own sessions; another user's (or an unknown) id is not found. */
  async endSession(user: AuthUser, sessionId: string): Promise<void> {
    const session = SESSION_ID.test(sessionId) ? await this.sessions.get(sessionId) : null;
    if (!session || session.userId !== user.id) throw AppException.notFound('Session');
    await this.sessions.revoke(sessionId);
    await this.audit.record({
      action: 'auth.session_ended',
      entityType: 'session',
      entityId: sessionId,
    });
    this.events.publish({
      type: DomainEventType.SessionsRevoked,
      area: null,
      userId: user.id,
      sessionIds: [sessionId],
      payload: { reason: 'session_ended' },
    });
  }

  async changePassword(
    user: AuthUser,
    currentPassword: string,
    newPassword: string,
  ): Promise<void> {
    const account = await this.accounts.findById(user.id);
    if (!account) throw unauthenticated();
    if (!(await verifyPassword(account.passwordHash, currentPassword))) {
      throw AppException.badRequest(
        'currentPassword is not your current password',
        'currentPassword',
        'incorrect',
      );
    }
    if (newPassword === currentPassword)
      throw AppException.badRequest(
        'newPassword must differ from your current password',
        'newPassword',
        'samePassword',
      );
    const problem = passwordProblem(newPassword, account.email);
    if (problem)
      throw AppException.badRequest(`newPassword ${problem}`, 'newPassword', 'weakPassword');
    await this.accounts.changePassword(user.id, await hashPassword(newPassword));
    await this.revoker.revokeAll(user.id, 'password_changed');
  }

  /** GET /auth/mfa (also for an enrolment-only session). */
  async mfaStatus(user: AuthUser): Promise<MfaStatusDto> {
    const account = await this.accounts.findById(user.id);
    if (!account) throw unauthenticated();
    return this.mfa.status(account);
  }

  async me(user: AuthUser): Promise<AuthenticatedUserDto> {
    const account = await this.accounts.findById(user.id);
    if (!account) throw unauthenticated();
    return toAuthenticatedUser(account);
  }

  private claims(account: Account, sessionId: string, enrolmentOnly = false): AccessTokenClaims {
    if (enrolmentOnly) return { ...this.claims(account, sessionId), pcr: false, mfe: true };
    return {
      sub: account.id,
      sid: sessionId,
      email: account.email,
      role: account.role,
      scope:
        account.scopeLevel === ScopeLevel.National
          ? { level: ScopeLevel.National, code: null }
          : { level: account.scopeLevel, code: account.scopeCode },
      mid: account.memberId,
      pcr: account.passwordChangeRequired,
    };
  }

  private async startSession(
    account: Account,
    address: string,
    userAgent: string | undefined,
    options: { enrolmentOnly?: boolean; ttlSeconds?: number } = {},
  ): Promise<TokenPairDto & { sessionId: string }> {
    const sessionId = randomBytes(18).toString('base64url');
    const secret = newSecret();
    const now = Date.now();
    await this.sessions.create({
      id: sessionId,
      userId: account.id,
      refreshHash: sha256(secret),
      createdAt: now,
      expiresAt: now + (options.ttlSeconds ?? this.config.REFRESH_TOKEN_TTL_SECONDS) * 1000,
      lastUsedAt: now,
      address,
      ...(userAgent ? { userAgent: userAgent.slice(0, MAX_USER_AGENT) } : {}),
    });
    return {
      sessionId,
      accessToken: await this.tokens.sign(
        this.claims(account, sessionId, options.enrolmentOnly === true),
      ),
      refreshToken: `${sessionId}.${secret}`,
      expiresIn: this.config.ACCESS_TOKEN_TTL_SECONDS,
      tokenType: 'Bearer',
      passwordChangeRequired: account.passwordChangeRequired,
    };
  }
}
