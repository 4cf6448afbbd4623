import { createHmac } from 'node:crypto';

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signature: string;
}

const encode = (value: Record<string, unknown>): string =>
  Buffer.from(JSON.stringify(value)).toString('base64url');

/** Splits a JWT without verifying it. */
export function decodeJwt(token: string): DecodedJwt {
  const [header = '', payload = '', signature = ''] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >,
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >,
    signature,
  };
}

/** Signs header + payload with HMAC (HS256 or HS512), as an attacker who knows or guesses a key would. */
export function signJwt(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  secret: string,
): string {
  const algorithm = header.alg === 'HS512' ? 'sha512' : 'sha256';
  const body = `${encode(header)}.${encode(payload)}`;
  return `${body}.${createHmac(algorithm, secret).update(body).digest('base64url')}`;
}

/** An unsigned token (`alg: none`). */
export function unsignedJwt(payload: Record<string, unknown>): string {
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(payload)}.`;
}

/** Keeps the signature but swaps the payload. */
export function tamperJwt(token: string, payload: Record<string, unknown>): string {
  const [header = '', , signature = ''] = token.split('.');
  return `${header}.${encode(payload)}.${signature}`;
}
