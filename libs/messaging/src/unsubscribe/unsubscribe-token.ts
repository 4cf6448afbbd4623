import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { NodeEnv } from '@app/core';
import type { AppConfig } from '@app/core';

const DEV_UNSUBSCRIBE_SECRET = 'dev-only-unsubscribe-secret-not-for-production-use';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The outbox kinds that carry the opt-out text and a List-Unsubscribe link (messages nobody asked for). */
export const OPT_OUT_KINDS: readonly string[] = ['campaign', 'renewal_reminder'];

/** Where the opt-out text of an email puts the message's own unsubscribe link (filled at delivery). */
export const UNSUBSCRIBE_URL_PLACEHOLDER = '{{unsubscribeUrl}}';

/**
 * Signed one-click unsubscribe tokens, one per outbox message: `<outbox id>.<HMAC-SHA256>`, keyed with a key
 * derived (HKDF, its own label) from MESSAGING_UNSUBSCRIBE_SECRET (unset: JWT_SECRET in production, else a
 * development default) and over a purpose-tagged input, so the token is good for nothing but unsubscribing the
 * recipient of that message.
 */
export class UnsubscribeTokens {
  private readonly key: Buffer;

  constructor(
    keyMaterial: string,
    private readonly baseUrl: string,
  ) {
    this.key = Buffer.from(
      hkdfSync(
        'sha256',
        Buffer.from(keyMaterial, 'utf8'),
        Buffer.from('eff-membership-api/messaging', 'utf8'),
        'unsubscribe-token-hmac-sha256',
        32,
      ),
    );
  }

  static fromConfig(config: AppConfig): UnsubscribeTokens {
    const material =
      config.MESSAGING_UNSUBSCRIBE_SECRET ??
      (config.NODE_ENV === NodeEnv.Production && config.JWT_SECRET
        ? config.JWT_SECRET
        : DEV_UNSUBSCRIBE_SECRET);
    return new UnsubscribeTokens(material, config.MESSAGING_PUBLIC_URL);
  }

  private mac(outboxId: string): Buffer {
    return createHmac('sha256', this.key).update(`unsubscribe:v1:${outboxId}`).digest();
  }

  sign(outboxId: string): string {
    return `${outboxId}.${this.mac(outboxId).toString('base64url')}`;
  }

  /** The outbox id a token was signed for, or null for anything forged, altered or malformed. */
  verify(token: string): string | null {
    const dot = token.indexOf('.');
    if (dot < 0) return null;
    const id = token.slice(0, dot).toLowerCase();
    const given = token.slice(dot + 1);
    if (!UUID.test(id) || !/^[A-Za-z0-9_-]{43}$/.test(given)) return null;
    const expected = this.mac(id);
    const actual = Buffer.from(given, 'base64url');
    return actual.length === expected.length && timingSafeEqual(actual, expected) ? id : null;
  }

  /** The public one-click URL of a message (List-Unsubscribe and the opt-out text). */
  url(outboxId: string): string {
    return `${this.baseUrl}/api/v1/messaging/unsubscribe?token=${encodeURIComponent(this.sign(outboxId))}`;
  }
}
