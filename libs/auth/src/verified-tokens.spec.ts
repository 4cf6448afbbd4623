import { createSecretKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { JwtVerifier, rememberingVerifier } from './verified-tokens.js';

const key = createSecretKey(Buffer.from('a-secret-of-enough-length-for-hs256!'));
const otherKey = createSecretKey(Buffer.from('another-secret-of-enough-length-256'));
const options = { algorithms: ['HS256' as const], issuer: 'iss', audience: 'aud' };

describe('rememberingVerifier', () => {
  let calls: number;
  let verify: JwtVerifier;
  const check = (token: string, withKey: unknown = key, withOptions: object = options) => {
    let answer: { error: Error | null; payload?: unknown } | undefined;
    verify(token, withKey, withOptions, (error, payload) => (answer = { error, payload }));
    if (!answer) throw new Error('the verifier did not answer synchronously');
    return answer;
  };
  const sign = (claims: object, expiresIn = 60) =>
    jwt.sign(claims, key, { algorithm: 'HS256', issuer: 'iss', audience: 'aud', expiresIn });

  beforeEach(() => {
    calls = 0;
    verify = rememberingVerifier((token, secretOrKey, opts, callback) => {
      calls += 1;
      jwt.verify(token, secretOrKey as jwt.Secret, opts as jwt.VerifyOptions, callback);
    });
  });
  const realNow = Date.now;
  afterEach(() => (Date.now = realNow));

  it('verifies a token once and answers the same frozen claims afterwards', () => {
    const token = sign({ sub: 'u1', scope: { level: 'province', code: 'GP' } });
    const first = check(token);
    const second = check(token);
    expect(first.error).toBeNull();
    expect(second).toEqual(first);
    expect(second.payload).toBe(first.payload);
    expect(calls).toBe(1);
    expect(Object.isFrozen((first.payload as { scope: object }).scope)).toBe(true);
  });

  it('refuses a remembered token once it expires, with jsonwebtoken’s own error', () => {
    const token = sign({ sub: 'u1' }, 5);
    expect(check(token).error).toBeNull();
    const now = Date.now();
    Date.now = () => now + 6000;
    const later = check(token);
    expect(later.error).toBeInstanceOf(jwt.TokenExpiredError);
    expect(calls).toBe(2);
  });

  it('never answers from memory for another signature, key or set of options', () => {
    const token = sign({ sub: 'u1' });
    expect(check(token).error).toBeNull();
    const [header, body] = token.split('.');
    const forged = `${header}.${body}.${'A'.repeat(43)}`;
    expect(check(forged).error).toBeInstanceOf(jwt.JsonWebTokenError);
    expect(check(token, otherKey).error).toBeInstanceOf(jwt.JsonWebTokenError);
    expect(check(token, key, { ...options, audience: 'someone-else' }).error).toBeInstanceOf(
      jwt.JsonWebTokenError,
    );
    expect(calls).toBe(4);
  });

  it('keeps at most maxEntries tokens', () => {
    verify = rememberingVerifier((token, secretOrKey, opts, callback) => {
      calls += 1;
      jwt.verify(token, secretOrKey as jwt.Secret, opts as jwt.VerifyOptions, callback);
    }, 2);
    const [a, b, c] = ['a', 'b', 'c'].map((sub) => sign({ sub }));
    for (const token of [a, b, c, c, b, a]) expect(check(token!).error).toBeNull();
    // a was dropped for c; b and c were remembered; a is verified again
    expect(calls).toBe(4);
  });
});
