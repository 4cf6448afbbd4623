import { ExecutionContext, Global, Module, SetMetadata } from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';

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
 * 'default' applies to every route; 'strict' only to routes marked @StrictThrottle().
 */
@Global()
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
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
  providers: [{ provide: APP_GUARD, useClass: ThrottlerGuard }],
})
export class ThrottlingModule {}
