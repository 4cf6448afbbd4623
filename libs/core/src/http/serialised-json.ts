/** A cached answer's JSON, made once: the bytes Express's `res.json` would send, and their ETag. */
export interface SerialisedJson {
  body: Buffer;
  etag: string | undefined;
}

const shared = new WeakMap<object, SerialisedJson | null>();

/**
 * Marks `value` (deeply frozen, so it can never change) as an answer many requests share, e.g. a cache entry:
 * the first reply that sends it serialises it, later ones send the same bytes (ExpressAppAdapter.reply).
 */
export function markShared(value: unknown): void {
  if (typeof value === 'object' && value !== null && Object.isFrozen(value) && !shared.has(value))
    shared.set(value, null);
}

/**
 * The bytes of a shared value (markShared), serialised on first use with `serialise`, else undefined (the value
 * is not shared: it goes through `res.json` as usual).
 */
export function sharedJson(
  value: unknown,
  serialise: (value: object) => SerialisedJson,
): SerialisedJson | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const known = shared.get(value);
  if (known !== null) return known;
  const made = serialise(value);
  shared.set(value, made);
  return made;
}
