/** What an erased member's names become; leadership history then reads "Erased member (EFF…)". */
export const ERASED_FIRST_NAMES = 'Erased';
export const ERASED_SURNAME = 'member';
/** What personal values inside history, audit diffs and notes become. */
export const ERASED = '[ERASED]';

/** Keys whose values are personal data wherever they appear in history details or audit diffs. */
const PERSONAL_KEYS: ReadonlySet<string> = new Set([
  'idNumber',
  'firstNames',
  'surname',
  'cellNumber',
  'email',
  'residentialAddress',
  'dateOfBirth',
]);

/**
 * The ID number of an erased member: 'X' and the last 12 hex digits of its (random, v4) uuid, upper case.
 * 13 characters (the column is char(13), unique), never 13 digits, so it can never validate as an ID number.
 */
export function erasedIdNumber(memberId: string): string {
  return `X${memberId.replace(/-/g, '').slice(-12).toUpperCase()}`;
}

/** The date of birth reduced to its year (YYYY-01-01), so age bands still count. */
export function yearOnly(dateOfBirth: string): string {
  return `${dateOfBirth.slice(0, 4)}-01-01`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Replaces the personal values (case-insensitively) inside free text. */
export class Scrubber {
  private readonly pattern: RegExp | null;

  constructor(values: Iterable<string | null | undefined>) {
    const needles = new Set<string>();
    for (const value of values) {
      const v = value?.trim();
      // dates (joinedOn may equal the birthday) and markers such as [REDACTED] are not searched for
      if (!v || v.length < 3 || /^\d{4}-\d{2}-\d{2}$/.test(v) || /^\[[A-Z]+\]$/.test(v)) continue;
      needles.add(v);
      // a cell number also as it is written locally: +27821234567 -> 0821234567
      if (/^\+27\d{9}$/.test(v)) needles.add(`0${v.slice(3)}`);
    }
    const sorted = [...needles].sort((a, b) => b.length - a.length).map(escapeRegExp);
    this.pattern = sorted.length > 0 ? new RegExp(sorted.join('|'), 'gi') : null;
  }

  text(value: string): string {
    return this.pattern ? value.replace(this.pattern, ERASED) : value;
  }

  nullableText(value: string | null): string | null {
    return value === null ? null : this.text(value);
  }

  /** A JSON value with personal keys' values erased (both sides of a diff) and personal values replaced. */
  json(value: unknown): unknown {
    if (typeof value === 'string') return this.text(value);
    if (Array.isArray(value)) return value.map((v) => this.json(v));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
        if (!PERSONAL_KEYS.has(key)) out[key] = this.json(v);
        else if (v !== null && typeof v === 'object' && !Array.isArray(v))
          out[key] = Object.fromEntries(Object.keys(v).map((k) => [k, ERASED]));
        else out[key] = ERASED;
      }
      return out;
    }
    return value;
  }
}

/** Every string value under a personal key (e.g. earlier names in an edit's diff), to scrub elsewhere too. */
export function personalValues(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) for (const v of value) personalValues(v, into);
  else if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (PERSONAL_KEYS.has(key)) collectStrings(v, into);
      else personalValues(v, into);
    }
  }
  return into;
}

function collectStrings(value: unknown, into: Set<string>): void {
  if (typeof value === 'string') into.add(value);
  else if (Array.isArray(value)) for (const v of value) collectStrings(v, into);
  else if (value !== null && typeof value === 'object')
    for (const v of Object.values(value as Record<string, unknown>)) collectStrings(v, into);
}
