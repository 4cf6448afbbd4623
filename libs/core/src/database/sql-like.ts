/** Text to match literally inside a LIKE/ILIKE pattern: `\`, `%` and `_` escaped (PostgreSQL's default escape). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
