import { CanActivate, ExecutionContext, HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  APP_CONFIG,
  AppException,
  ErrorCode,
  RedisService,
  RedisThrottlerStorage,
} from '@app/core';
import type { AppConfig } from '@app/core';
import { sha256 } from '@app/auth';

const WINDOW_MS = 60_000;

/**
 * The `card-verify` throttle: CARD_VERIFY_THROTTLE_LIMIT verifications per client address per minute, counted in
 * Redis across processes (per process while Redis is down). The route skips the global default limit: its own
 * name and counter, so scanning at a busy assembly does not eat the address's other limits, nor the reverse, and a
 * verification costs one Redis round trip, not two.
 */
@Injectable()
export class CardVerifyThrottleGuard implements CanActivate {
  private readonly storage: RedisThrottlerStorage;

  constructor(
    redis: RedisService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.storage = new RedisThrottlerStorage(redis);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const record = await this.storage.increment(
      sha256(req.ip ?? 'unknown'),
      WINDOW_MS,
      this.config.CARD_VERIFY_THROTTLE_LIMIT,
      WINDOW_MS,
      'card-verify',
    );
    if (!record.isBlocked) return true;
    const retryAfter = Math.max(1, record.timeToBlockExpire);
    http.getResponse<Response>().setHeader('Retry-After', String(retryAfter));
    throw new AppException(
      HttpStatus.TOO_MANY_REQUESTS,
      ErrorCode.RateLimited,
      `Too many card verifications; retry in ${retryAfter} s`,
      undefined,
      { retryAfterSeconds: retryAfter },
    );
  }
}
