import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { DEV_MFA_ENCRYPTION_KEY, NodeEnv } from '@app/core';
import type { AppConfig } from '@app/core';

const VERSION = 'v1';

/**
 * The key material for TOTP: MFA_ENCRYPTION_KEY; unset, JWT_SECRET in production (strength-checked at start-up)
 * and the public development default elsewhere.
 */
export function mfaKeyMaterial(config: AppConfig): string {
  if (config.MFA_ENCRYPTION_KEY) return config.MFA_ENCRYPTION_KEY;
  if (config.NODE_ENV === NodeEnv.Production && config.JWT_SECRET) return config.JWT_SECRET;
  return DEV_MFA_ENCRYPTION_KEY;
}

/**
 * Encryption of TOTP secrets at rest (AES-256-GCM, a fresh 96-bit IV per secret, the user id as associated data
 * so a ciphertext copied onto another user's row does not decrypt) and HMAC-SHA256 of recovery codes. Both keys
 * are derived from the one configured key with HKDF-SHA256 under distinct labels.
 */
export class MfaCrypto {
  private readonly encryptionKey: Buffer;
  private readonly hmacKey: Buffer;

  constructor(keyMaterial: string) {
    const ikm = Buffer.from(keyMaterial, 'utf8');
    const salt = Buffer.from('eff-membership-api/mfa', 'utf8');
    this.encryptionKey = Buffer.from(hkdfSync('sha256', ikm, salt, 'totp-secret-aes-256-gcm', 32));
    this.hmacKey = Buffer.from(hkdfSync('sha256', ikm, salt, 'recovery-code-hmac-sha256', 32));
  }

  encrypt(plaintext: string, userId: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.encryptionKey, iv);
    cipher.setAAD(Buffer.from(userId, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, iv, tag, body]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
  }

  /** The plaintext, or null when the ciphertext is malformed, of another user, or under another key. */
  decrypt(ciphertext: string, userId: string): string | null {
    const [version, iv, tag, body] = ciphertext.split('.');
    if (version !== VERSION || !iv || !tag || body === undefined) return null;
    try {
      const decipher = createDecipheriv(
        'aes-256-gcm',
        this.encryptionKey,
        Buffer.from(iv, 'base64url'),
      );
      decipher.setAAD(Buffer.from(userId, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(body, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      return null;
    }
  }

  /** HMAC-SHA256 of a normalised recovery code, hex. */
  hashRecoveryCode(code: string): string {
    return createHmac('sha256', this.hmacKey).update(normaliseRecoveryCode(code)).digest('hex');
  }
}

const RECOVERY_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'; // 32 symbols: no 0/O, 1/I

/** A recovery code: 3 groups of 4 from a 32-symbol alphabet (60 random bits), e.g. K7QP-3MZX-W9RD. */
export function newRecoveryCode(): string {
  const bytes = randomBytes(12);
  let out = '';
  for (let i = 0; i < 12; i += 1) {
    out += RECOVERY_ALPHABET[(bytes[i] ?? 0) & 31];
    if (i === 3 || i === 7) out += '-';
  }
  return out;
}

/** Upper case, without spaces and dashes: how a code is typed does not matter. */
export function normaliseRecoveryCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '');
}
