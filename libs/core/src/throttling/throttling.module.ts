import { ExecutionContext, Global, Module, SetMetadata } from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { RedisService } from '../redis/redis.module.js';
import { AppThrottlerGuard } from './app-throttler.guard.js';
import { RedisThrottlerStorage } from './redis-throttler.storage.js';

export const STRICT_THROTTLE_KEY = 'eff:strictThrottle';

/** Applies the stricter 'strict' limit (AUTH_THROTTLE_LIMIT per minute) on top of the default one. */
export const StrictThrottle = (): MethodDecorator & ClassDecorator =>
  SetMetadata(STRICT_THROTTLE_KEY, true);

const reflector = new Reflector();
const isStrict = (context: ExecutionContext): boolean =>
  reflector.getAllAndOverride<boolean>(STRICT_THROTTLE_KEY, [
    context.getHandler(),
    context.getClass(),
  ]) === true;

/**
 * Request limits per client address (req.ip: X-Forwarded-For is believed only from TRUST_PROXY).
 * 'default' counts all routes of a client together; 'strict' only routes marked @StrictThrottle(), per route.
 * Counters live in Redis (shared by every process), per process while Redis is down.
 */
@Global()
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [APP_CONFIG, RedisService],
      useFactory: (config: AppConfig, redis: RedisService) => ({
        storage: new RedisThrottlerStorage(redis),
        throttlers: [
          {
            name: 'default',
            ttl: config.THROTTLE_TTL_SECONDS * 1000,
            limit: config.THROTTLE_LIMIT,
          },
          {
            name: 'strict',
            ttl: 60_000,
            limit: config.AUTH_THROTTLE_LIMIT,
            skipIf: (ctx) => !isStrict(ctx),
          },
        ],
      }),
    }),
  ],
  providers: [{ provide: APP_GUARD, useClass: AppThrottlerGuard }],
})
export class ThrottlingModule {}
