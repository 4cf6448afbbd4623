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
  'accessToken',
  'refreshToken',
  'token',
  'authorization',
  'cookie',
];

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-refresh-token"]',
  'res.headers["set-cookie"]',
  ...SENSITIVE_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]),
];

/** Masks long digit runs (ID and cell numbers typed into search boxes) in a URL before it is logged. */
export function maskDigits(text: string): string {
  return text.replace(/(\+?\d[\d ]{7,}\d)/g, '[REDACTED]');
}
