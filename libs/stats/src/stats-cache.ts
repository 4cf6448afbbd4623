/**
 * Where statistics answers are cached. The default is in-process with a TTL; a Redis-backed implementation
 * can be bound to STATS_CACHE instead (e.g. the shared cache helper) so that invalidation reaches every process.
 */
export abstract class StatsCache {
  abstract get<T>(key: string): Promise<T | undefined>;
  abstract set<T>(key: string, value: T, ttlSeconds: number): Promise<void>;
  abstract clear(): Promise<void>;
}

export class InProcessStatsCache extends StatsCache {
  private readonly entries = new Map<string, { value: unknown; until: number }>();

  async get<T>(key: string): Promise<T | undefined> {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.until < Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value as T;
  }

  async set<T>(key: string, value: T, ttlSeconds: number): Promise<void> {
    if (ttlSeconds <= 0) return;
    if (this.entries.size > 5000) this.entries.clear();
    this.entries.set(key, { value, until: Date.now() + ttlSeconds * 1000 });
  }

  async clear(): Promise<void> {
    this.entries.clear();
  }
}
