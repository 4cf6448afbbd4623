/** passport-jwt's verifier: `jwt.verify(token, key, options, callback)`, answering synchronously for HMAC keys. */
export type JwtVerifier = (
  token: string,
  secretOrKey: unknown,
  options: object,
  callback: (error: Error | null, payload?: unknown) => void,
) => void;

interface Verified {
  key: unknown;
  payload: unknown;
  /** The token's exp claim (seconds). */
  exp: number;
}

function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const inner of Object.values(value)) deepFreeze(inner);
}

/**
 * `verify` with a memory of the tokens it accepted: the same token string with the same key and options was
 * verified already (signature, algorithm, issuer, audience), so only its expiry is checked again (jsonwebtoken's
 * rule: expired once the current second reaches `exp`). An expired or unknown token, a token without a numeric
 * `exp`, and options with `maxAge` go to `verify` itself, so every refusal is still jsonwebtoken's own error.
 * The key is part of the lookup (a token verified with another key is verified again). Payloads are frozen:
 * requests share them. At most `maxEntries` tokens are kept (the oldest go first).
 */
export function rememberingVerifier(verify: JwtVerifier, maxEntries = 5000): JwtVerifier {
  const byOptions = new WeakMap<object, Map<string, Verified>>();
  return (token, secretOrKey, options, callback) => {
    let known = byOptions.get(options);
    const hit = known?.get(token);
    if (hit && hit.key === secretOrKey) {
      if (Math.floor(Date.now() / 1000) < hit.exp) {
        callback(null, hit.payload);
        return;
      }
      known?.delete(token);
    }
    verify(token, secretOrKey, options, (error, payload) => {
      const exp = (payload as { exp?: unknown } | undefined)?.exp;
      if (!error && typeof exp === 'number' && !('maxAge' in options)) {
        if (!known) byOptions.set(options, (known = new Map<string, Verified>()));
        if (known.size >= maxEntries) {
          const oldest = known.keys().next().value;
          if (oldest !== undefined) known.delete(oldest);
        }
        deepFreeze(payload);
        known.set(token, { key: secretOrKey, payload, exp });
      }
      callback(error, payload);
    });
  };
}
