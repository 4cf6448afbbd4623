import { hash, verify, argon2id } from 'argon2';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

/** Base words of the most common passwords; a password that is one of these plus digits/symbols is refused. */
const COMMON_BASES = new Set([
  'password',
  'passw0rd',
  'p@ssw0rd',
  'qwerty',
  'qwertyuiop',
  'asdfghjkl',
  'zxcvbnm',
  'letmein',
  'welcome',
  'admin',
  'administrator',
  'iloveyou',
  'monkey',
  'dragon',
  'football',
  'baseball',
  'soccer',
  'sunshine',
  'princess',
  'abc',
  'abcdef',
  'abcdefgh',
  'master',
  'shadow',
  'superman',
  'batman',
  'trustno1',
  'changeme',
  'secret',
  'login',
  'starwars',
  'whatever',
  'freedom',
  'computer',
  'internet',
  'michael',
  'jennifer',
  'eff',
  'effmember',
  'economicfreedomfighters',
  'fighters',
  'malema',
  'juliusmalema',
  'southafrica',
  'mzansi',
  'amandla',
  'ngawethu',
  'azania',
  'soweto',
  'johannesburg',
  'pretoria',
  'durban',
  'capetown',
  'member',
  'membership',
  'password1',
  'qwerty123',
  'welcome1',
]);

/** Why a password is refused, or null when it is acceptable. */
export function passwordProblem(password: string, email?: string): string | null {
  if (password.length < PASSWORD_MIN_LENGTH)
    return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (password.length > PASSWORD_MAX_LENGTH)
    return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
  const lower = password.toLowerCase();
  if (new Set(lower).size < 5) return 'uses too few different characters';
  if (
    /^\d+$/.test(lower) ||
    '01234567890123456789'.includes(lower) ||
    'abcdefghijklmnopqrstuvwxyz'.includes(lower)
  )
    return 'is too predictable';
  const base = lower.replace(/[^a-z@0]+$/g, '').replace(/^[^a-z@0]+/g, '');
  if (COMMON_BASES.has(base) || COMMON_BASES.has(lower.replace(/[^a-z]/g, '')))
    return 'is a commonly used password';
  const local = email?.split('@')[0]?.toLowerCase();
  if (local && local.length >= 4 && lower.includes(local))
    return 'must not contain your email address';
  return null;
}

const HASH_OPTIONS = { type: argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, HASH_OPTIONS);
}

/** A fixed hash verified against for unknown emails, so they cost the same time as known ones. */
let dummyHash: Promise<string> | undefined;

export async function verifyPassword(
  passwordHash: string | null,
  password: string,
): Promise<boolean> {
  dummyHash ??= hashPassword('dummy-password-for-timing-equalisation');
  try {
    const ok = await verify(passwordHash ?? (await dummyHash), password);
    return passwordHash !== null && ok;
  } catch {
    return false;
  }
}
