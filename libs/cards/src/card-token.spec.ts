import { generateKeyPairSync } from 'node:crypto';
import { parseCardToken, signatureVerifies, signCardToken } from './card-token.js';

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
});
