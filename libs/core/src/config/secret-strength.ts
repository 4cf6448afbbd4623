/** The placeholder every secret in deploy/docker/env.example starts with. */
export const PLACEHOLDER_MARK = 'change-me';

/** Bits a production JWT_SECRET must carry (32 random bytes). */
export const MIN_JWT_SECRET_BITS = 256;

/** The length of the shortest prefix that, repeated at least twice, spells the whole string ('abcabca' → 3). */
function period(chars: string[]): number {
  for (let p = 1; p <= chars.length / 2; p += 1) {
    let repeats = true;
    for (let i = p; i < chars.length && repeats; i += 1) repeats = chars[i] === chars[i - p];
    if (repeats) return p;
  }
  return chars.length;
}

/** How many symbols the secret's character classes offer: digits 10, hex 16, else the classes it uses. */
function classPool(secret: string): number {
  if (/^[0-9]+$/.test(secret)) return 10;
  if (/^[0-9a-f]+$/.test(secret) || /^[0-9A-F]+$/.test(secret)) return 16;
  let pool = 0;
  if (/[a-z]/.test(secret)) pool += 26;
  if (/[A-Z]/.test(secret)) pool += 26;
  if (/[0-9]/.test(secret)) pool += 10;
  if (/[^A-Za-z0-9]/.test(secret)) pool += 33;
  return pool;
}

/**
 * A conservative estimate of the entropy of a secret, in bits: (length of its non-repeating part) × log2(the
 * alphabet). The alphabet is what its character classes offer (`openssl rand -hex 32` → 64 × 4 = 256 bits,
 * `openssl rand -base64 32` → 44 × 6.6), or only the distinct characters it uses when those are far fewer than
 * random characters from that pool would show (a word repeated with a counter, 'x' × 40).
 */
export function estimatedEntropyBits(secret: string): number {
  const chars = [...secret];
  if (chars.length === 0) return 0;
  const pool = classPool(secret);
  const distinct = new Set(chars).size;
  const expectedDistinct = pool * (1 - (1 - 1 / pool) ** chars.length);
  const alphabet = distinct < expectedDistinct / 2 ? distinct : pool;
  return alphabet <= 1 ? 0 : period(chars) * Math.log2(alphabet);
}
