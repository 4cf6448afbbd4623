import { randomBytes } from 'node:crypto';
import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppException, AuditService, ErrorCode } from '@app/core';
import type { AppConfig } from '@app/core';
import { hashPassword, passwordProblem, SessionRevoker, sha256, UserAccounts } from '@app/auth';
import { MessageChannel, OutboxService } from '@app/messaging';
import { PasswordResetToken } from './password-reset-token.entity.js';

/** Reset emails one account may be sent per window; further requests are silently dropped. */
const REQUESTS_PER_ACCOUNT = 3;
const REQUEST_WINDOW_MINUTES = 15;

const INVALID_TOKEN = (): AppException =>
  new AppException(
    HttpStatus.BAD_REQUEST,
    ErrorCode.PasswordResetTokenInvalid,
    'The reset link is invalid, used or expired; ask for a new one',
    [{ field: 'token', code: 'invalid', message: 'The reset token is not valid' }],
  );

@Injectable()
export class AccountRecoveryService {
  private readonly logger = new Logger(AccountRecoveryService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly accounts: UserAccounts,
    private readonly outbox: OutboxService,
    private readonly revoker: SessionRevoker,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Runs after the 202 has been answered, so a known and an unknown address look alike to the caller in
   * body and timing. A known, active account gets a new token (older ones are voided) and the email, written
   * to the outbox in the same transaction as the token.
   */
  async requestReset(email: string): Promise<void> {
    const account = await this.accounts.findByEmail(email.trim().toLowerCase());
    if (!account || !account.active) return;
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.config.PASSWORD_RESET_TTL_MINUTES * 60_000);
    const link = new URL(this.config.PASSWORD_RESET_URL);
    link.searchParams.set('token', token);
    const issued = await this.dataSource.transaction(async (manager) => {
      // One request at a time per account, so the per-account limit holds under a burst.
      await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`reset:${account.id}`]);
      const [recent] = await manager.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM password_reset_tokens
          WHERE user_id = $1 AND created_at > now() - make_interval(mins => $2)`,
        [account.id, REQUEST_WINDOW_MINUTES],
      );
      if ((recent?.n ?? 0) >= REQUESTS_PER_ACCOUNT) return false;
      await manager.query(
        'UPDATE password_reset_tokens SET used_at = now() WHERE user_id = $1 AND used_at IS NULL',
        [account.id],
      );
      await manager.insert(PasswordResetToken, {
        userId: account.id,
        tokenHash: sha256(token),
        passwordFingerprint: sha256(account.passwordHash),
        expiresAt,
      });
      await this.outbox.enqueue(manager, {
        channel: MessageChannel.Email,
        kind: 'password_reset',
        recipient: account.email,
        recipientUserId: account.id,
        subject: 'Set a new password for your EFF membership account',
        body:
          `Hello ${account.name},\n\n` +
          `Someone (hopefully you) asked to set a new password for this account. Open this link within ` +
          `${this.config.PASSWORD_RESET_TTL_MINUTES} minutes to choose one:\n\n${link.toString()}\n\n` +
          `The link works once. If you did not ask for it, ignore this email: your password stays as it is.\n`,
      });
      await this.audit.record(
        {
          action: 'auth.password_reset_requested',
          entityType: 'user',
          entityId: account.id,
          actorUserId: null,
          changes: { expiresAt: expiresAt.toISOString() },
        },
        manager,
      );
      return true;
    });
    if (!issued) this.logger.warn(`Password reset for user ${account.id} refused: rate limit`);
  }

  /** Sets the new password with a valid token (used up by this), ends every session of the account. */
  async resetPassword(token: string, newPassword: string): Promise<void> {
    const tokenHash = sha256(token);
    const row = await this.dataSource.getRepository(PasswordResetToken).findOne({
      where: { tokenHash },
    });
    if (!row || row.usedAt || row.expiresAt.getTime() <= Date.now()) throw INVALID_TOKEN();
    const account = await this.accounts.findById(row.userId);
    if (!account?.active || sha256(account.passwordHash) !== row.passwordFingerprint)
      throw INVALID_TOKEN();
    const problem = passwordProblem(newPassword, account.email);
    if (problem)
      throw AppException.badRequest(`newPassword ${problem}`, 'newPassword', 'weakPassword');
    const passwordHash = await hashPassword(newPassword);
    // Used up atomically: of two requests with the same token only one gets here.
    const [, consumed] = await this.dataSource.query<[unknown[], number]>(
      `UPDATE password_reset_tokens SET used_at = now()
        WHERE id = $1 AND used_at IS NULL AND expires_at > now()`,
      [row.id],
    );
    if (consumed !== 1) throw INVALID_TOKEN();
    await this.accounts.changePassword(account.id, passwordHash);
    await this.revoker.revokeAll(account.id, 'password_reset');
    await this.audit.record({
      action: 'auth.password_reset',
      entityType: 'user',
      entityId: account.id,
      actorUserId: null,
    });
  }
}
