import { AccessService } from './access/access.service.js';
import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { APP_CONFIG, RedisService } from '@app/core';
import type { AppConfig } from '@app/core';
import { AuthController } from './auth.controller.js';
import { AuthenticationGuard } from './auth.guard.js';
import { AuthService } from './auth.service.js';
import { JwtStrategy } from './jwt.strategy.js';
import { LoginAttempts } from './sessions/login-attempts.js';
import { MemorySessionStore } from './sessions/memory-session.store.js';
import { ResilientSessionStore } from './sessions/resilient-session.store.js';
import { SessionRevoker } from './sessions/session-revoker.js';
import { SessionStore } from './sessions/session.store.js';
import { JWT_ALGORITHM, resolveJwtSecret, TokenService } from './token.service.js';

/**
 * Sign-in, sessions and the global authentication guard. Needs a UserAccounts provider (libs/users gives it
 * globally).
 */
@Global()
@Module({
  imports: [
    PassportModule,
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        secret: resolveJwtSecret(config),
        signOptions: {
          algorithm: JWT_ALGORITHM,
          expiresIn: config.ACCESS_TOKEN_TTL_SECONDS,
          issuer: config.JWT_ISSUER,
          audience: config.JWT_AUDIENCE,
        },
        verifyOptions: {
          algorithms: [JWT_ALGORITHM],
          issuer: config.JWT_ISSUER,
          audience: config.JWT_AUDIENCE,
        },
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [
    {
      provide: SessionStore,
      inject: [RedisService],
      useFactory: (redis: RedisService): SessionStore =>
        redis.client
          ? new ResilientSessionStore(redis.client, redis.keyPrefix, redis)
          : new MemorySessionStore(),
    },
    {
      provide: LoginAttempts,
      inject: [RedisService, APP_CONFIG],
      useFactory: (redis: RedisService, config: AppConfig) =>
        new LoginAttempts(
          redis.client,
          redis.keyPrefix,
          config.LOGIN_FAILURE_WINDOW_SECONDS,
          redis,
        ),
    },
    SessionRevoker,
    TokenService,
    JwtStrategy,
    AuthService,
    AccessService,
    { provide: APP_GUARD, useClass: AuthenticationGuard },
  ],
  exports: [AccessService, AuthService, TokenService, SessionStore, SessionRevoker],
})
export class AuthModule {}
