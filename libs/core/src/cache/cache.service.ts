import { Inject, Injectable, Logger } from '@nestjs/common';
import { CACHE_MANAGER } from '@nestjs/cache-manager';
import type { Cache } from 'cache-manager';
import { RedisService } from '../redis/redis.module.js';

/** How long a cache read may take before we give up and load from the source. */
const READ_BUDGET_MS = 150;

function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Read-through caching by namespace (geography, statistics, …) on @nestjs/cache-manager: Redis when
 * REDIS_URL is set, else this process's memory. `invalidate(namespace)` bumps the namespace's version (a
 * Redis counter), so every process stops reading the old entries at once; they expire by their TTL.
 * While Redis is unreachable the cache is bypassed (answers come from the source, never stale or slow) and
 * invalidations are remembered and replayed when it returns.
 */
@Injectable()
export class CacheService {
  private readonly logger = new Logger(CacheService.name);
  /** Namespace versions when there is no Redis. */
  private readonly localVersions = new Map<string, number>();
  /** Invalidations that could not reach Redis; replayed on reconnect. */
  private readonly pendingInvalidations = new Set<string>();

  constructor(
    @Inject(CACHE_MANAGER) private readonly cache: Cache,
    private readonly redis: RedisService,
  ) {
    this.redis.client?.on('ready', () => void this.replayInvalidations());
  }

  /** Whether the cache may be used right now (Redis configured and connected, or no Redis at all). */
  get usable(): boolean {
    return !this.redis.client || (this.redis.available && this.pendingInvalidations.size === 0);
  }

  /**
   * The cached value of `key` in `namespace`, else `load()`'s result (cached for `ttlMs`). Errors of `load`
   * pass through uncached; cache errors and slowness fall back to `load`.
   */
  async wrap<T>(namespace: string, key: string, ttlMs: number, load: () => Promise<T>): Promise<T> {
    if (!this.usable) {
      if (this.redis.available && this.pendingInvalidations.size > 0)
        void this.replayInvalidations();
      return load();
    }
    let fullKey: string;
    try {
      const version = await within(this.version(namespace), READ_BUDGET_MS);
      if (version === undefined) {
        this.redis.markUnhealthy();
        return load();
      }
      fullKey = this.redis.key('cache', namespace, String(version), key);
      const hit = await within(this.cache.get<T>(fullKey), READ_BUDGET_MS);
      if (hit !== undefined && hit !== null) return hit;
    } catch {
      this.redis.markUnhealthy();
      return load();
    }
    const value = await load();
    void this.cache.set(fullKey, value, ttlMs).catch(() => undefined);
    return value;
  }

  /** Drops every entry of `namespace`, on every process. Never throws. */
  async invalidate(namespace: string): Promise<void> {
    const client = this.redis.client;
    if (!client) {
      this.localVersions.set(namespace, (this.localVersions.get(namespace) ?? 0) + 1);
      return;
    }
    try {
      await client.incr(this.versionKey(namespace));
      this.pendingInvalidations.delete(namespace);
    } catch (error) {
      this.pendingInvalidations.add(namespace);
      this.logger.warn(
        `Cache invalidation of ${namespace} deferred until Redis returns: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  private versionKey(namespace: string): string {
    return this.redis.key('cache-version', namespace);
  }

  private async version(namespace: string): Promise<number> {
    const client = this.redis.client;
    if (!client) return this.localVersions.get(namespace) ?? 0;
    return Number((await client.get(this.versionKey(namespace))) ?? 0);
  }

  private replaying = false;

  private async replayInvalidations(): Promise<void> {
    if (this.replaying) return;
    this.replaying = true;
    try {
      for (const namespace of [...this.pendingInvalidations]) await this.invalidate(namespace);
    } finally {
      this.replaying = false;
    }
  }
}
