import { randomInt, timingSafeEqual } from 'node:crypto';
import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  AppException,
  AuditService,
  ErrorCode,
  RedisService,
  RedisThrottlerStorage,
} from '@app/core';
import { hashPassword, passwordProblem, sha256 } from '@app/auth';
import { MembersService } from '@app/members';
import { MessageChannel, OutboxService } from '@app/messaging';
import { UsersService } from '@app/users';
import { AccountClaim } from './account-claim.entity.js';
import { CompleteClaimDto } from './dto/portal.dto.js';

/** Life of a one-time claim code. */
export const CLAIM_CODE_TTL_MINUTES = 10;
/** Wrong codes one claim tolerates before it is void. */
const MAX_CODE_ATTEMPTS = 5;
/** Claim starts (or completions) per ID number per window, counted in Redis across processes. */
const PER_ID_NUMBER_LIMIT = 5;
const PER_ID_NUMBER_WINDOW_MS = 60 * 60 * 1000;

const INVALID_CLAIM = (): AppException =>
  new AppException(
    HttpStatus.BAD_REQUEST,
    ErrorCode.ValidationFailed,
    'The details or the code are not valid, used or expired; ask for a new code',
    [{ field: 'code', code: 'invalid', message: 'The code is not valid' }],
  );

/**
 * Claiming a member account: ID number + membership number → a one-time code to the cell (or email) on record
 * through the messaging outbox → code + password → a `member` user linked to the member. Modelled on
 * libs/account-recovery: the start answers at once and alike whatever the register holds.
 */
@Injectable()
export class AccountClaimService {
  private readonly logger = new Logger(AccountClaimService.name);
  private readonly throttle: RedisThrottlerStorage;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly members: MembersService,
    private readonly users: UsersService,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
    redis: RedisService,
  ) {
    this.throttle = new RedisThrottlerStorage(redis);
  }

  /** Counts one attempt for this ID number; true when it is over the per-ID-number limit. */
  private async overIdNumberLimit(kind: string, idNumber: string): Promise<boolean> {
    const record = await this.throttle.increment(
      sha256(idNumber),
      PER_ID_NUMBER_WINDOW_MS,
      PER_ID_NUMBER_LIMIT,
      PER_ID_NUMBER_WINDOW_MS,
      `claim-${kind}`,
    );
    return record.isBlocked;
  }

  /**
   * Runs after the 202 has been answered. A matching member with no account and a cell number (or email) on
   * record gets a new code (older ones are voided), written to the outbox in the code's transaction. The
   * member asked for this message, so it ignores contactObjectedAt.
   */
  async start(idNumber: string, membershipNumber: string): Promise<void> {
    if (await this.overIdNumberLimit('start', idNumber)) return;
    const member = await this.members.findByIdAndMembershipNumber(idNumber, membershipNumber);
    if (!member || member.anonymisedAt) return;
    if (await this.users.hasUserForMember(member.id)) return;
    const channel = member.cellNumber
      ? MessageChannel.Sms
      : member.email
        ? MessageChannel.Email
        : null;
    const recipient = member.cellNumber ?? member.email;
    if (!channel || !recipient) return;
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const expiresAt = new Date(Date.now() + CLAIM_CODE_TTL_MINUTES * 60_000);
    await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`claim:${member.id}`]);
      await manager.query(
        'UPDATE account_claims SET used_at = now() WHERE member_id = $1 AND used_at IS NULL',
        [member.id],
      );
      await manager.insert(AccountClaim, {
        memberId: member.id,
        codeHash: sha256(code),
        expiresAt,
      });
      await this.outbox.enqueue(manager, {
        channel,
        kind: 'account_claim',
        recipient,
        recipientMemberId: member.id,
        area: member,
        subject: channel === MessageChannel.Email ? 'Your EFF membership account code' : null,
        body: `Your EFF membership account code is ${code}. It works once, for ${CLAIM_CODE_TTL_MINUTES} minutes. If you did not ask for it, ignore this message.`,
      });
      await this.audit.record(
        {
          action: 'member.account_claim_requested',
          entityType: 'member',
          entityId: member.id,
          provinceCode: member.provinceCode,
          actorUserId: null,
          changes: { channel, expiresAt: expiresAt.toISOString() },
        },
        manager,
      );
    });
  }

  /** Checks the code (used up by this) and creates the member's account. */
  async complete(dto: CompleteClaimDto): Promise<{ email: string }> {
    if (await this.overIdNumberLimit('complete', dto.idNumber))
      throw new AppException(
        HttpStatus.TOO_MANY_REQUESTS,
        ErrorCode.RateLimited,
        'Too many attempts for these details; try again later',
      );
    const member = await this.members.findByIdAndMembershipNumber(
      dto.idNumber,
      dto.membershipNumber,
    );
    if (!member || member.anonymisedAt) throw INVALID_CLAIM();
    const claim = await this.dataSource.getRepository(AccountClaim).findOne({
      where: { memberId: member.id },
      order: { createdAt: 'DESC' },
    });
    if (
      !claim ||
      claim.usedAt ||
      claim.expiresAt.getTime() <= Date.now() ||
      claim.attempts >= MAX_CODE_ATTEMPTS
    )
      throw INVALID_CLAIM();
    const given = Buffer.from(sha256(dto.code));
    const stored = Buffer.from(claim.codeHash);
    if (given.length !== stored.length || !timingSafeEqual(given, stored)) {
      await this.dataSource.query(
        'UPDATE account_claims SET attempts = attempts + 1 WHERE id = $1',
        [claim.id],
      );
      throw INVALID_CLAIM();
    }
    const email = dto.email ?? member.email;
    if (!email)
      throw AppException.badRequest(
        'There is no email on your membership record: give the email to sign in with',
        'email',
        'required',
      );
    const problem = passwordProblem(dto.newPassword, email);
    if (problem)
      throw AppException.badRequest(`newPassword ${problem}`, 'newPassword', 'weakPassword');
    const passwordHash = await hashPassword(dto.newPassword);
    await this.dataSource.transaction(async (manager) => {
      // Used up atomically: of two requests with the same code only one gets past this.
      const [, consumed] = await manager.query<[unknown[], number]>(
        `UPDATE account_claims SET used_at = now()
          WHERE id = $1 AND used_at IS NULL AND expires_at > now()`,
        [claim.id],
      );
      if (consumed !== 1) throw INVALID_CLAIM();
      const user = await this.users.createMemberAccount(manager, {
        email,
        name: `${member.firstNames} ${member.surname}`.slice(0, 120),
        passwordHash,
        memberId: member.id,
        ward: member,
      });
      await this.audit.record(
        {
          action: 'member.account_claimed',
          entityType: 'member',
          entityId: member.id,
          provinceCode: member.provinceCode,
          actorUserId: null,
          changes: { userId: user.id },
        },
        manager,
      );
    });
    this.logger.log(`Member ${member.id} claimed an account`);
    return { email };
  }
}
