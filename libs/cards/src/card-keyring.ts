import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import {
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { HttpStatus, Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppException, ErrorCode, NodeEnv, projectPath } from '@app/core';
import type { AppConfig } from '@app/core';
import { KID_PATTERN } from './card-token.js';

/** One card key: the public half always, the private half only where this key may sign. */
export interface CardKey {
  kid: string;
  publicKey: KeyObject;
  privateKey: KeyObject | null;
  /** When it was retired (start of that day, South African time), else null. */
  retiredAt: Date | null;
}

/** A public key as JWKS publishes it (RFC 8037: OKP / Ed25519). */
export interface CardJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

const DAY_MS = 86_400_000;
/** The development key's file: created once (atomically: several test processes may start together). */
const DEV_KEY_ID = 'dev';

/**
 * The card signing keys, read once at start-up from CARD_KEYS_DIR (`<kid>.pem`: a PKCS#8 Ed25519 private key, or
 * an SPKI public key for a retired key whose private half was destroyed). One key signs (CARD_SIGNING_KID, or the
 * only non-retired private key); every key not retired verifies, and a retired key (CARD_RETIRED_KEYS) verifies
 * until CARD_KEY_GRACE_DAYS after its retirement date, then is refused and no longer published.
 * Outside production without CARD_KEYS_DIR: `.data/card-keys`, with a key generated on first start.
 */
@Injectable()
export class CardKeyring implements OnModuleInit {
  private readonly logger = new Logger(CardKeyring.name);
  private readonly keys = new Map<string, CardKey>();
  private signing: CardKey | null = null;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  onModuleInit(): void {
    const configured = this.config.CARD_KEYS_DIR;
    let dir: string | null = configured ? path.resolve(configured) : null;
    if (!dir && this.config.NODE_ENV !== NodeEnv.Production) {
      dir = projectPath('.data', 'card-keys');
      this.ensureDevelopmentKey(dir);
    }
    if (!dir) {
      this.logger.warn(
        'CARD_KEYS_DIR is not set: membership cards cannot be issued (503) and no card verifies. See docs/cards.md.',
      );
      return;
    }
    this.load(dir);
  }

  private ensureDevelopmentKey(dir: string): void {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (readdirSync(dir).some((f) => f.endsWith('.pem'))) return;
    if (writeNewCardKey(dir, DEV_KEY_ID)) {
      this.logger.warn(
        `Generated a development card signing key in ${dir} (kid "${DEV_KEY_ID}"). Production must set CARD_KEYS_DIR.`,
      );
    }
  }

  private load(dir: string): void {
    if (!existsSync(dir)) throw new Error(`CARD_KEYS_DIR: ${dir} does not exist`);
    const retired = new Map<string, Date>();
    for (const entry of this.config.CARD_RETIRED_KEYS) {
      const [kid, date] = entry.split(':') as [string, string];
      retired.set(kid, new Date(`${date}T00:00:00+02:00`));
    }
    for (const file of readdirSync(dir).sort()) {
      if (!file.endsWith('.pem')) continue;
      const kid = file.slice(0, -'.pem'.length);
      if (!KID_PATTERN.test(kid))
        throw new Error(
          `CARD_KEYS_DIR: ${file}: the key id (file name) must match [A-Za-z0-9_-]{1,64}`,
        );
      const pem = readFileSync(path.join(dir, file), 'utf8');
      let privateKey: KeyObject | null = null;
      let publicKey: KeyObject;
      if (pem.includes('PRIVATE KEY')) {
        privateKey = createPrivateKey(pem);
        publicKey = createPublicKey(privateKey);
      } else {
        publicKey = createPublicKey(pem);
      }
      if (publicKey.asymmetricKeyType !== 'ed25519')
        throw new Error(`CARD_KEYS_DIR: ${file} is not an Ed25519 key`);
      this.keys.set(kid, { kid, publicKey, privateKey, retiredAt: retired.get(kid) ?? null });
    }
    for (const kid of retired.keys())
      if (!this.keys.has(kid))
        this.logger.warn(`CARD_RETIRED_KEYS names ${kid}, which is not in CARD_KEYS_DIR`);
    const wanted = this.config.CARD_SIGNING_KID;
    if (wanted) {
      const key = this.keys.get(wanted);
      if (!key?.privateKey)
        throw new Error(`CARD_SIGNING_KID: no private key ${wanted}.pem in CARD_KEYS_DIR`);
      if (key.retiredAt) throw new Error(`CARD_SIGNING_KID: ${wanted} is in CARD_RETIRED_KEYS`);
      this.signing = key;
    } else {
      const candidates = [...this.keys.values()].filter((k) => k.privateKey && !k.retiredAt);
      if (candidates.length > 1)
        throw new Error(
          `CARD_SIGNING_KID: required, CARD_KEYS_DIR holds several private keys (${candidates.map((k) => k.kid).join(', ')})`,
        );
      this.signing = candidates[0] ?? null;
    }
    this.logger.log(
      `Card keys: ${this.keys.size} (signing: ${this.signing?.kid ?? 'none'}; retired: ${[...retired.keys()].join(', ') || 'none'})`,
    );
    if (!this.signing) this.logger.warn('No card signing key: issuing cards answers 503');
  }

  /** The key new cards are signed with; 503 when none is configured. */
  signer(): CardKey & { privateKey: KeyObject } {
    const key = this.signing;
    if (!key?.privateKey)
      throw new AppException(
        HttpStatus.SERVICE_UNAVAILABLE,
        ErrorCode.ServiceUnavailable,
        'Membership cards cannot be issued: no card signing key is configured',
      );
    return key as CardKey & { privateKey: KeyObject };
  }

  /** Whether a retired key's grace period is over at `now` (then it neither verifies nor is published). */
  private expired(key: CardKey, now: number): boolean {
    return (
      key.retiredAt !== null &&
      now >= key.retiredAt.getTime() + this.config.CARD_KEY_GRACE_DAYS * DAY_MS
    );
  }

  /** The public key a token with this kid verifies with, or null (unknown, or retired past its grace). */
  verifier(kid: string, now = Date.now()): KeyObject | null {
    const key = this.keys.get(kid);
    return key && !this.expired(key, now) ? key.publicKey : null;
  }

  /** Every key that still verifies, as JWKs. */
  jwks(now = Date.now()): CardJwk[] {
    return [...this.keys.values()]
      .filter((k) => !this.expired(k, now))
      .map((k) => {
        const jwk = k.publicKey.export({ format: 'jwk' });
        return {
          kty: 'OKP',
          crv: 'Ed25519',
          x: String(jwk.x),
          kid: k.kid,
          alg: 'EdDSA',
          use: 'sig',
        };
      });
  }
}

/**
 * Writes a new Ed25519 signing key as `<dir>/<kid>.pem` (PKCS#8, mode 0600), atomically and never over an existing
 * file: false when that kid already exists. Used for the development key and by `cli.js card-key`.
 */
export function writeNewCardKey(dir: string, kid: string): boolean {
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' });
  const temporary = path.join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
  writeFileSync(temporary, pem, { mode: 0o600 });
  try {
    linkSync(temporary, path.join(dir, `${kid}.pem`));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return false;
  } finally {
    unlinkSync(temporary);
  }
}
