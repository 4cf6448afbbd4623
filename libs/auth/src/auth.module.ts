import { AccessService } from './access/access.service.js';
import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, RedisService } from '@app/core';
import type { AppConfig } from '@app/core';
import { AuthController } from './auth.controller.js';
import { AuthenticationGuard } from './auth.guard.js';
import { AuthService } from './auth.service.js';
import { JwtStrategy } from './jwt.strategy.js';
import { MfaController } from './mfa/mfa.controller.js';
import { MFA_ENTITIES } from './mfa/mfa.entities.js';
import { MfaService } from './mfa/mfa.service.js';
import { LoginAttempts } from './sessions/login-attempts.js';
import { CachedSessionStore } from './sessions/cached-session.store.js';
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
    TypeOrmModule.forFeature(MFA_ENTITIES),
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
  controllers: [AuthController, MfaController],
  providers: [
    {
      provide: SessionStore,
      inject: [RedisService, APP_CONFIG],
      useFactory: (redis: RedisService, config: AppConfig): SessionStore => {
        const store = redis.client
          ? new ResilientSessionStore(redis.client, redis.keyPrefix, redis)
          : new MemorySessionStore();
        if (config.SESSION_CACHE_SECONDS === 0) return store;
        // The subscriber queues its SUBSCRIBE until Redis answers and resubscribes after an outage.
        const subscriber = redis.duplicate('session-revocations', {
          enableOfflineQueue: true,
          commandTimeout: undefined,
          maxRetriesPerRequest: null,
        });
        return new CachedSessionStore(
          store,
          config.SESSION_CACHE_SECONDS * 1000,
          redis.client && subscriber
            ? {
                publisher: redis.client,
                subscriber,
                name: redis.key('session-revocations'),
              }
            : null,
        );
      },
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
    MfaService,
    AccessService,
    { provide: APP_GUARD, useClass: AuthenticationGuard },
  ],
  exports: [AccessService, AuthService, MfaService, TokenService, SessionStore, SessionRevoker],
})
export class AuthModule {}
