import { generateKeyPairSync } from 'node:crypto';
import {
  parseCardToken,
  rememberingSignatureCheck,
  signatureVerifies,
  signCardToken,
} from './card-token.js';

describe('card tokens', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const other = generateKeyPairSync('ed25519');
  const claims = { sn: 42, iat: 1_796_000_000, exp: 1_860_000_000 };
  const token = signCardToken(claims, 'k1', privateKey);
  const b64u = (v: string): string => Buffer.from(v).toString('base64url');

  it('signs a compact EdDSA JWS that parses and verifies with the public key only', () => {
    const parsed = parseCardToken(token);
    expect(parsed).toMatchObject({ kid: 'k1', claims });
    expect(signatureVerifies(parsed!, publicKey)).toBe(true);
    expect(signatureVerifies(parsed!, other.publicKey)).toBe(false);
    // deterministic: the same claims and key give the same token
    expect(signCardToken(claims, 'k1', privateKey)).toBe(token);
  });

  it('refuses anything but exactly our shape before a key is looked at', () => {
    const [h, p, s] = token.split('.') as [string, string, string];
    const refused = [
      '',
      'a.b',
      `${h}.${p}.${s}.x`,
      `${h}.${p}.${s}=`,
      `${h}.${p}.${s.slice(0, -4)}`,
      `${h}=.${p}.${s}`,
      `${b64u('{"alg":"none","typ":"JWT","kid":"k1"}')}.${p}.${s}`,
      `${b64u('{"alg":"EdDSA","typ":"JWT","kid":"k1","crit":["x"]}')}.${p}.${s}`,
      `${b64u('{"alg":"EdDSA","typ":"JWT","kid":"../etc"}')}.${p}.${s}`,
      `${h}.${b64u('{"sn":"42","iat":1,"exp":2}')}.${s}`,
      `${h}.${b64u('{"sn":42.5,"iat":1,"exp":2}')}.${s}`,
      `${h}.${b64u('[1,2,3]')}.${s}`,
      `${h}.${b64u('not json')}.${s}`,
    ];
    for (const bad of refused) expect(parseCardToken(bad)).toBeNull();
  });

  it('a changed payload no longer verifies', () => {
    const [h, , s] = token.split('.') as [string, string, string];
    const changed = parseCardToken(`${h}.${b64u(JSON.stringify({ ...claims, sn: 43 }))}.${s}`);
    expect(changed).not.toBeNull();
    expect(signatureVerifies(changed!, publicKey)).toBe(false);
  });

  it('remembers only acceptances, per key object, and forgets the oldest beyond its size', () => {
    const check = rememberingSignatureCheck(2);
    const parsed = parseCardToken(token)!;
    expect(check(parsed, publicKey)).toBe(true);
    expect(check(parsed, publicKey)).toBe(true);
    // remembered with publicKey only: another key (or a reloaded copy of it) checks again
    expect(check(parsed, other.publicKey)).toBe(false);
    const [h, , s] = token.split('.') as [string, string, string];
    const forged = parseCardToken(`${h}.${b64u(JSON.stringify({ ...claims, sn: 43 }))}.${s}`)!;
    expect(check(forged, publicKey)).toBe(false);
    expect(check(forged, publicKey)).toBe(false);
    // the same payload signed by another key is not the remembered token
    const resigned = parseCardToken(signCardToken(claims, 'k1', other.privateKey))!;
    expect(check(resigned, publicKey)).toBe(false);
    expect(check(resigned, other.publicKey)).toBe(true);
    const third = parseCardToken(signCardToken({ ...claims, sn: 44 }, 'k1', privateKey))!;
    expect(check(third, publicKey)).toBe(true);
    // size 2: the first acceptance was dropped, and is checked (and accepted) again
    expect(check(parsed, publicKey)).toBe(true);
  });
});
