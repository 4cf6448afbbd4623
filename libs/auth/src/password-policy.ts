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
  'love',
  'hello',
  'jesus',
  'blessed',
  'godisgood',
  'mandela',
  'nelson',
  'africa',
  'kaizer',
  'chiefs',
  'kaizerchiefs',
  'orlando',
  'pirates',
  'sundowns',
  'bafana',
  'springbok',
  'springboks',
  'ubuntu',
  'comrade',
  'commander',
  'redberet',
  'redberets',
  'revolution',
  'economic',
  'summer',
  'winter',
  'charlie',
  'jordan',
  'hunter',
  'thomas',
  'killer',
  'hockey',
  'pokemon',
  'samsung',
  'iphone',
  'google',
  'facebook',
  'default',
  'guest',
  'root',
  'test',
  'user',
]);

/** Keyboard rows and sequences: any run of five or more of them (either direction) counts as a common word. */
const WALKS = [
  '01234567890',
  'abcdefghijklmnopqrstuvwxyz',
  'qwertyuiop',
  'asdfghjkl',
  'zxcvbnm',
  '1q2w3e4r5t6y7u8i9o0p',
  'q1w2e3r4t5y6u7i8o9p0',
  '1qaz2wsx3edc4rfv5tgb',
  'zaq12wsxcde34rfv',
  'qazwsxedcrfv',
  'qweasdzxc',
];

/** Every common word, longest first. */
const COMMON_WORDS: readonly string[] = (() => {
  const words = new Set(COMMON_BASES);
  for (const walk of WALKS)
    for (const line of [walk, [...walk].reverse().join('')])
      for (let from = 0; from < line.length; from += 1)
        for (let to = from + 5; to <= line.length; to += 1) words.add(line.slice(from, to));
  return [...words].sort((a, b) => b.length - a.length);
})();

/** One-to-one substitutions people use to dress up a common word (P@55w0rd). */
const LEET_TO_I: Record<string, string> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '8': 'b',
  '9': 'g',
  '@': 'a',
  $: 's',
  '!': 'i',
  '+': 't',
  '|': 'l',
};
const LEET_TO_L: Record<string, string> = { ...LEET_TO_I, '1': 'l', '!': 'l' };

/**
 * What is left of `lower` once every common word found in `form` (the same length, maybe with substitutions)
 * is taken out, or null when none was found.
 */
function residue(lower: string, form: string): string | null {
  const keep = new Array<boolean>(form.length).fill(true);
  let found = false;
  for (const word of COMMON_WORDS) {
    for (let at = form.indexOf(word); at >= 0; at = form.indexOf(word, at + 1)) {
      found = true;
      keep.fill(false, at, at + word.length);
    }
  }
  return found ? [...lower].filter((_, i) => keep[i]).join('') : null;
}

/**
 * Whether the password is a common word (or several, or a keyboard walk), maybe with substitutions, padded
 * with little else: fewer than six other characters, or no other letters at all.
 */
function isCommon(lower: string): boolean {
  const forms = [
    lower,
    [...lower].map((c) => LEET_TO_I[c] ?? c).join(''),
    [...lower].map((c) => LEET_TO_L[c] ?? c).join(''),
  ];
  return forms.some((form) => {
    const rest = residue(lower, form);
    return rest !== null && (rest.length < 6 || !/[a-z]/.test(rest));
  });
}

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
  if (isCommon(lower)) return 'is a commonly used password';
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
