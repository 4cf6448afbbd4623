/** Field names whose values never reach a log line (POPIA: ID numbers, cell numbers, addresses; secrets). */
export const SENSITIVE_KEYS = [
  'password',
  'newPassword',
  'currentPassword',
  'passwordHash',
  'idNumber',
  'cellNumber',
  'phone',
  'email',
  'addressLine1',
  'addressLine2',
  'residentialAddress',
  'accessToken',
  'refreshToken',
  'token',
  'authorization',
  'cookie',
  'set-cookie',
  'x-refresh-token',
  // PostgreSQL errors (pg's DatabaseError, copied onto TypeORM's QueryFailedError): the bound values, the
  // failing row ("Failing row contains (...)", "Key (id_number)=(...)"), the PL/pgSQL context and the query
  // of an internal statement all carry personal data.
  'parameters',
  'detail',
  'where',
  'hint',
  'internalQuery',
];

export const CENSORED = '[REDACTED]';
const SENSITIVE = new Set(SENSITIVE_KEYS.map((key) => key.toLowerCase()));
const MAX_DEPTH = 4;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * The log object with the value of every sensitive key (any case, up to MAX_DEPTH levels deep, inside arrays
 * too) replaced by CENSORED. Copies only the objects on the way to a censored value; an object with nothing to
 * censor comes back as it is, so the usual request line allocates nothing here.
 */
export function censorSensitive<T>(value: T, depth = 0): T {
  if (depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    value.forEach((item: unknown, i) => {
      const censored = censorSensitive(item, depth + 1);
      if (censored !== item) (copy ??= [...value])[i] = censored;
    });
    return (copy ?? value) as T;
  }
  if (!isPlainObject(value)) return value;
  let copy: Record<string, unknown> | null = null;
  for (const key of Object.keys(value)) {
    const item = value[key];
    const censored =
      SENSITIVE.has(key.toLowerCase()) && item !== undefined && item !== null
        ? CENSORED
        : censorSensitive(item, depth + 1);
    if (censored !== item) (copy ??= { ...value })[key] = censored;
  }
  return (copy ?? value) as T;
}

/**
 * Masks long digit runs (ID and cell numbers typed into search boxes) and `token` query values (webhook
 * secrets) in a URL before it is logged.
 */
export function maskDigits(text: string): string {
  return text
    .replace(/([?&]token=)[^&#\s]*/gi, `$1${CENSORED}`)
    .replace(/(\+?\d[\d ]{7,}\d)/g, CENSORED);
}

/**
 * An error as a log object: a plain copy (nested errors such as TypeORM's driverError or a cause too, which
 * censorSensitive only walks when plain) with digit runs in its message and stack masked, then censored.
 */
export function errorForLog(error: object, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) {
    if (typeof value === 'string' && (key === 'message' || key === 'stack'))
      out[key] = maskDigits(value);
    else if (
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      !ArrayBuffer.isView(value) &&
      !(value instanceof Date) &&
      depth < MAX_DEPTH
    )
      out[key] = errorForLog(value as object, depth + 1);
    else out[key] = value;
  }
  return depth === 0 ? censorSensitive(out) : out;
}
