import { sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/** The claims of a card token: as few as identify the card and bound its life. */
export interface CardClaims {
  /** The card's serial (membership_cards.serial). */
  sn: number;
  /** Issued at (seconds since the epoch). */
  iat: number;
  /** End of validity as of issue (seconds since the epoch): the membership's expiry date plus the grace period. */
  exp: number;
}

/** A token split and decoded, not yet verified. */
export interface ParsedCardToken {
  /** The token as given. */
  raw: string;
  kid: string;
  claims: CardClaims;
  signingInput: Buffer;
  signature: Buffer;
}

export const CARD_TOKEN_ALG = 'EdDSA';
export const CARD_TOKEN_TYP = 'JWT';
export const KID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const SEGMENT = /^[A-Za-z0-9_-]+$/;
const ED25519_SIGNATURE_BYTES = 64;

const encode = (value: Buffer | string): string => Buffer.from(value).toString('base64url');

/** Strict base64url: only the canonical encoding of its bytes (no padding, no stray trailing bits). */
function decode(segment: string | undefined): Buffer | null {
  if (!segment || !SEGMENT.test(segment)) return null;
  const bytes = Buffer.from(segment, 'base64url');
  return encode(bytes) === segment ? bytes : null;
}

function json(bytes: Buffer): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

const isSeconds = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

/** A compact JWS (RFC 7515) over the claims, EdDSA (Ed25519, RFC 8037), with the key id in the protected header. */
export function signCardToken(claims: CardClaims, kid: string, privateKey: KeyObject): string {
  const header = encode(JSON.stringify({ alg: CARD_TOKEN_ALG, typ: CARD_TOKEN_TYP, kid }));
  const payload = encode(JSON.stringify({ sn: claims.sn, iat: claims.iat, exp: claims.exp }));
  const input = `${header}.${payload}`;
  return `${input}.${encode(sign(null, Buffer.from(input), privateKey))}`;
}

/**
 * Splits and decodes a token; null for anything that is not exactly our shape: three canonical base64url
 * segments, a header of exactly { alg: "EdDSA", typ: "JWT", kid } (so alg "none", other algorithms and `crit`
 * are refused before any key is looked at), integer claims and a 64-byte signature.
 */
export function parseCardToken(token: string): ParsedCardToken | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [h, p, s] = parts;
  const headerBytes = decode(h);
  const payloadBytes = decode(p);
  const signature = decode(s);
  if (!headerBytes || !payloadBytes || signature?.length !== ED25519_SIGNATURE_BYTES) return null;
  const header = json(headerBytes);
  const payload = json(payloadBytes);
  if (!header || !payload) return null;
  if (Object.keys(header).length !== 3) return null;
  if (header.alg !== CARD_TOKEN_ALG || header.typ !== CARD_TOKEN_TYP) return null;
  if (typeof header.kid !== 'string' || !KID_PATTERN.test(header.kid)) return null;
  const { sn, iat, exp } = payload;
  if (!isSeconds(sn) || !isSeconds(iat) || !isSeconds(exp)) return null;
  return {
    raw: token,
    kid: header.kid,
    claims: { sn, iat, exp },
    signingInput: Buffer.from(`${h}.${p}`),
    signature,
  };
}

/**
 * `signatureVerifies` with a memory of the tokens it accepted (cards are scanned again and again at an assembly's
 * door): the same token string that verified with the same key object verifies again without the curve arithmetic.
 * Only acceptances are kept, so a forgery always costs a real check; a key the keyring no longer offers is never
 * asked about; at most `maxEntries` tokens are kept (the oldest go first).
 */
export function rememberingSignatureCheck(
  maxEntries = 10_000,
): (token: ParsedCardToken, publicKey: KeyObject) => boolean {
  const verifiedWith = new Map<string, KeyObject>();
  return (token, publicKey) => {
    if (verifiedWith.get(token.raw) === publicKey) return true;
    if (!signatureVerifies(token, publicKey)) return false;
    if (verifiedWith.size >= maxEntries) {
      const oldest = verifiedWith.keys().next().value;
      if (oldest !== undefined) verifiedWith.delete(oldest);
    }
    verifiedWith.set(token.raw, publicKey);
    return true;
  };
}

/** Whether the signature over the token's first two segments verifies with this Ed25519 public key. */
export function signatureVerifies(token: ParsedCardToken, publicKey: KeyObject): boolean {
  try {
    return verify(null, token.signingInput, publicKey, token.signature);
  } catch {
    return false;
  }
}
