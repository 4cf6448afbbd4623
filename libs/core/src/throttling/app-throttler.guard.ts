import { ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { ThrottlerLimitDetail } from '@nestjs/throttler';
import { AppException } from '../errors/app-exception.js';
import { ErrorCode } from '../errors/error-code.js';

/**
 * @nestjs/throttler's guard with three changes: the 'default' limit counts every route of a client together
 * (the library counts per route), only HTTP is throttled, and a refusal is our 429 problem details with
 * `Retry-After` (seconds) whichever limit was hit.
 */
@Injectable()
export class AppThrottlerGuard extends ThrottlerGuard {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    return super.canActivate(context);
  }

  protected override generateKey(context: ExecutionContext, suffix: string, name: string): string {
    return name === 'default' ? `all:${suffix}` : super.generateKey(context, suffix, name);
  }

  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const retryAfter = Math.max(1, detail.timeToBlockExpire);
    const { res } = this.getRequestResponse(context);
    this.setResponseHeader(res, 'Retry-After', retryAfter);
    throw new AppException(
      HttpStatus.TOO_MANY_REQUESTS,
      ErrorCode.RateLimited,
      `Too many requests; retry in ${retryAfter} s`,
      undefined,
      { retryAfterSeconds: retryAfter },
    );
  }
}
