import { createSecretKey } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import passportJwt from 'passport-jwt';
import { APP_CONFIG } from '@app/core';
import type { AppConfig } from '@app/core';
import { AuthUser } from './auth-user.js';
import { JWT_ALGORITHM, resolveJwtSecret, TokenService } from './token.service.js';
import { JwtVerifier, rememberingVerifier } from './verified-tokens.js';

const { ExtractJwt, Strategy } = passportJwt;

// passport-jwt verifies every request's token through this static of its Strategy; the remembering verifier
// skips the HMAC and JSON decoding for a token it already accepted (its expiry is still checked every time).
const verifierHost = Strategy as unknown as { JwtVerifier: JwtVerifier & { remembering?: true } };
if (!verifierHost.JwtVerifier.remembering)
  verifierHost.JwtVerifier = Object.assign(rememberingVerifier(verifierHost.JwtVerifier), {
    remembering: true as const,
  });

/** passport-jwt with the algorithm pinned and issuer/audience checked; the session is checked in validate. */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly tokens: TokenService,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // A KeyObject: with a string, jsonwebtoken first tries createPublicKey() and catches the throw (~1 ms).
      secretOrKey: createSecretKey(Buffer.from(resolveJwtSecret(config))) as unknown as string,
      algorithms: [JWT_ALGORITHM],
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      ignoreExpiration: false,
    });
  }

  validate(payload: unknown): Promise<AuthUser> {
    return this.tokens.toAuthUser(payload);
  }
}
