import { createHash, randomBytes } from 'node:crypto';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';
import { DataSource, EntityManager, IsNull, Repository } from 'typeorm';
import { APP_CONFIG, AppException, AuditService, ErrorCode } from '@app/core';
import type { AppConfig } from '@app/core';
import { AuthUser } from '../auth-user.js';
import { Role } from '../roles.js';
import { SessionStore } from '../sessions/session.store.js';
import type { Account } from '../user-accounts.js';
import { MfaEnrolmentDto, MfaRecoveryCodesDto, MfaStatusDto } from './mfa.dto.js';
import { MfaCrypto, mfaKeyMaterial, newRecoveryCode } from './mfa-crypto.js';
import { MfaChallenge, MfaRecoveryCode, UserMfa } from './mfa.entities.js';

/** Recovery codes handed out at enrolment. */
export const RECOVERY_CODE_COUNT = 10;
/** Life of a sign-in challenge. */
export const CHALLENGE_TTL_SECONDS = 300;
/** TOTP period (RFC 6238 default, what authenticator apps use). */
const PERIOD_SECONDS = 30;
/** ±1 time step of clock drift. */
const DRIFT_SECONDS = PERIOD_SECONDS;

/**
 * Roles that must use TOTP (after MFA_ENROLMENT_GRACE_DAYS): every admin role and the auditor. An auditor reads
 * and exports members' personal data and the audit log across its scope: a stolen auditor password is as
 * damaging to members' privacy as an admin's, so it gets the same second factor. Only members are exempt (they
 * may still enrol of their own accord).
 */
export function mfaRequiredForRole(role: Role): boolean {
  return role !== Role.Member;
}

export type CodeCheck =
  { ok: true; method: 'totp' | 'recovery_code' } | { ok: false; reason: 'invalid' | 'reused' };

export interface MfaState {
  enabled: boolean;
  enabledAt: Date | null;
  pending: boolean;
  recoveryCodesRemaining: number;
}

const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

/** TOTP enrolment, code checks and sign-in challenges (otplib for the codes, qrcode for the QR). */
@Injectable()
export class MfaService {
  private readonly crypto: MfaCrypto;

  constructor(
    @InjectRepository(UserMfa) private readonly mfa: Repository<UserMfa>,
    @InjectRepository(MfaRecoveryCode) private readonly recoveryCodes: Repository<MfaRecoveryCode>,
    @InjectRepository(MfaChallenge) private readonly challenges: Repository<MfaChallenge>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly sessions: SessionStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.crypto = new MfaCrypto(mfaKeyMaterial(config));
  }

  async state(userId: string): Promise<MfaState> {
    const row = await this.mfa.findOneBy({ userId });
    const remaining = row?.enabledAt
      ? await this.recoveryCodes.countBy({ userId, usedAt: IsNull() })
      : 0;
    return {
      enabled: row?.enabledAt != null,
      enabledAt: row?.enabledAt ?? null,
      pending: row != null && row.enabledAt == null,
      recoveryCodesRemaining: remaining,
    };
  }

  /** When the account's role must have enrolled by, or null (not required, or never signed in yet). */
  enrolmentDeadline(account: Pick<Account, 'role' | 'firstLoginAt'>): Date | null {
    if (!mfaRequiredForRole(account.role) || !account.firstLoginAt) return null;
    return new Date(
      account.firstLoginAt.getTime() + this.config.MFA_ENROLMENT_GRACE_DAYS * 24 * 3600 * 1000,
    );
  }

  /** GET /auth/mfa: the account's TOTP state and deadline. */
  async status(account: Pick<Account, 'id' | 'role' | 'firstLoginAt'>): Promise<MfaStatusDto> {
    const state = await this.state(account.id);
    const deadline = state.enabled ? null : this.enrolmentDeadline(account);
    return {
      enabled: state.enabled,
      enabledAt: state.enabledAt?.toISOString() ?? null,
      pending: state.pending,
      required: mfaRequiredForRole(account.role),
      enrolmentDeadline: deadline?.toISOString() ?? null,
      recoveryCodesRemaining: state.recoveryCodesRemaining,
    };
  }

  /** POST /auth/mfa/enrolment for the caller. */
  async startFor(user: AuthUser): Promise<MfaEnrolmentDto> {
    return this.startEnrolment(user.id, user.email);
  }

  /**
   * POST /auth/mfa/enrolment/confirm for the caller. An enrolment-only session has done its job and ends here
   * (sign in again, now with a code); a normal session carries on.
   */
  async confirmFor(user: AuthUser, code: string): Promise<MfaRecoveryCodesDto> {
    const recoveryCodes = await this.confirmEnrolment(user.id, code);
    if (user.mfaEnrolmentOnly) await this.sessions.revoke(user.sessionId);
    return { recoveryCodes };
  }

  async isEnabled(userId: string): Promise<boolean> {
    return (await this.mfa.findOneBy({ userId }))?.enabledAt != null;
  }

  /** A new secret, stored encrypted and pending until confirmed; replaces an unconfirmed one. */
  async startEnrolment(userId: string, label: string): Promise<MfaEnrolmentDto> {
    const secret = generateSecret();
    const secretCiphertext = this.crypto.encrypt(secret, userId);
    // One statement: a concurrent confirm or a second start cannot replace an active authenticator.
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO user_mfa (user_id, secret_ciphertext) VALUES ($1, $2)
       ON CONFLICT (user_id) DO UPDATE SET secret_ciphertext = EXCLUDED.secret_ciphertext,
              last_used_step = NULL, updated_at = now()
        WHERE user_mfa.enabled_at IS NULL
       RETURNING user_id`,
      [userId, secretCiphertext],
    );
    if (rows.length === 0) throw alreadyEnabled();
    const otpauthUri = generateURI({ issuer: this.config.MFA_ISSUER, label, secret });
    const [qrCodePng, qrCodeSvg] = await Promise.all([
      QRCode.toDataURL(otpauthUri, { errorCorrectionLevel: 'M', margin: 2, width: 256 }),
      QRCode.toString(otpauthUri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }),
    ]);
    await this.audit.record({
      action: 'auth.mfa_enrolment_started',
      entityType: 'user',
      entityId: userId,
    });
    return { secret, otpauthUri, qrCodePng, qrCodeSvg };
  }

  /**
   * Activates the pending secret when `code` is valid for it, and answers ten fresh recovery codes (only their
   * HMAC is stored). One transaction: the row is locked, so two confirms cannot both hand out codes.
   */
  async confirmEnrolment(userId: string, code: string): Promise<string[]> {
    return this.dataSource.transaction(async (manager) => {
      const row = await manager.findOne(UserMfa, {
        where: { userId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!row)
        throw new AppException(
          HttpStatus.CONFLICT,
          ErrorCode.MfaEnrolmentNotStarted,
          'Start an enrolment first (POST /api/v1/auth/mfa/enrolment)',
        );
      if (row.enabledAt) throw alreadyEnabled();
      const step = await this.matchingStep(row, userId, code);
      if (step === null)
        throw new AppException(
          HttpStatus.BAD_REQUEST,
          ErrorCode.MfaCodeInvalid,
          'The code does not match the new secret; check the device clock and try the current code',
          [{ field: 'code', code: 'invalid', message: 'The code does not match' }],
        );
      await manager.update(
        UserMfa,
        { userId },
        { enabledAt: new Date(), lastUsedStep: String(step) },
      );
      const codes = await this.replaceRecoveryCodes(manager, userId);
      await this.audit.record(
        {
          action: 'auth.mfa_enabled',
          entityType: 'user',
          entityId: userId,
          changes: { recoveryCodes: codes.length },
        },
        manager,
      );
      return codes;
    });
  }

  /**
   * Checks a TOTP code (±1 step, each step accepted once: the last accepted step is moved forward atomically,
   * so a replay, even a concurrent one, is refused) or a recovery code (used up atomically).
   */
  async checkCode(
    userId: string,
    input: { code?: string | undefined; recoveryCode?: string | undefined },
  ): Promise<CodeCheck> {
    const row = await this.mfa.findOneBy({ userId });
    if (!row?.enabledAt) return { ok: false, reason: 'invalid' };
    if (input.recoveryCode !== undefined) {
      const used: unknown[] = await this.dataSource.query(
        `UPDATE mfa_recovery_codes SET used_at = now()
          WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING id`,
        [userId, this.crypto.hashRecoveryCode(input.recoveryCode)],
      );
      // node-postgres answers [rows, count] for an UPDATE through TypeORM's query()
      return updatedCount(used) > 0
        ? { ok: true, method: 'recovery_code' }
        : { ok: false, reason: 'invalid' };
    }
    const step = await this.matchingStep(row, userId, input.code ?? '');
    if (step === null) return { ok: false, reason: 'invalid' };
    const moved: unknown[] = await this.dataSource.query(
      `UPDATE user_mfa SET last_used_step = $2
        WHERE user_id = $1 AND enabled_at IS NOT NULL
          AND (last_used_step IS NULL OR last_used_step < $2) RETURNING user_id`,
      [userId, step],
    );
    return updatedCount(moved) > 0 ? { ok: true, method: 'totp' } : { ok: false, reason: 'reused' };
  }

  /** A single-use challenge token for a sign-in that passed the password (only its SHA-256 is kept). */
  async createChallenge(userId: string): Promise<{ challengeToken: string; expiresAt: Date }> {
    const challengeToken = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + CHALLENGE_TTL_SECONDS * 1000);
    await this.challenges.insert({ userId, tokenHash: sha256(challengeToken), expiresAt });
    return { challengeToken, expiresAt };
  }

  /** The user of a live (unused, unexpired) challenge, or null. */
  async challengeUser(challengeToken: string): Promise<string | null> {
    const rows: { user_id: string }[] = await this.dataSource.query(
      `SELECT user_id FROM mfa_challenges
        WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()`,
      [sha256(challengeToken)],
    );
    return rows[0]?.user_id ?? null;
  }

  /** Uses the challenge up; false when it was used (or expired) meanwhile. */
  async consumeChallenge(challengeToken: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `UPDATE mfa_challenges SET used_at = now()
        WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING id`,
      [sha256(challengeToken)],
    );
    return updatedCount(rows) > 0;
  }

  /** Removes the authenticator, its recovery codes and open challenges; whether there was one. */
  async remove(userId: string, manager: EntityManager): Promise<boolean> {
    const existing = await manager.findOneBy(UserMfa, { userId });
    await manager.delete(UserMfa, { userId });
    await manager.delete(MfaRecoveryCode, { userId });
    await manager.delete(MfaChallenge, { userId });
    return existing?.enabledAt != null;
  }

  private async matchingStep(row: UserMfa, userId: string, code: string): Promise<number | null> {
    if (!/^[0-9]{6}$/.test(code)) return null;
    const secret = this.crypto.decrypt(row.secretCiphertext, userId);
    if (!secret) return null;
    const result = await verify({ secret, token: code, epochTolerance: DRIFT_SECONDS });
    return result.valid && 'timeStep' in result ? result.timeStep : null;
  }

  private async replaceRecoveryCodes(manager: EntityManager, userId: string): Promise<string[]> {
    await manager.delete(MfaRecoveryCode, { userId });
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => newRecoveryCode());
    await manager.insert(
      MfaRecoveryCode,
      codes.map((code) => ({ userId, codeHash: this.crypto.hashRecoveryCode(code) })),
    );
    return codes;
  }
}

const alreadyEnabled = (): AppException =>
  new AppException(
    HttpStatus.CONFLICT,
    ErrorCode.MfaAlreadyEnabled,
    'Two-factor authentication is already active on this account; a super admin can reset it',
  );

/** Rows changed by an UPDATE … RETURNING run through DataSource.query (node-postgres: [rows, count]). */
function updatedCount(result: unknown[]): number {
  if (result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number')
    return result[1];
  return result.length;
}
