// No imports: the e2e tests load this file directly.

/** Objects with their keys sorted (recursively), so the committed document diffs stably. Arrays keep order. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  );
}

/** The document as committed in openapi.json: sorted keys, two-space indent, trailing newline. */
export function renderOpenApiDocument(document: unknown): string {
  return `${JSON.stringify(sortKeys(document), null, 2)}\n`;
}
