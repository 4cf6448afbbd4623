import { Inject, Injectable, Logger } from '@nestjs/common';
import { CACHE_MANAGER } from '@nestjs/cache-manager';
import type { Cache } from 'cache-manager';
import { RedisService } from '../redis/redis.module.js';

/** How long a cache read may take before we give up and load from the source. */
const READ_BUDGET_MS = 150;
/** How long, at most, this process reuses an entry it already read or wrote, and how many it keeps. */
const RECENT_TTL_MS = 10_000;
const RECENT_MAX = 500;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

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
 * Each process also keeps the entries it read or wrote lately (`recent`, by versioned key, frozen): a hit then
 * costs only the version read, not a second round trip and a JSON parse. A version bump still reaches it at once.
 */
@Injectable()
export class CacheService {
  private readonly logger = new Logger(CacheService.name);
  /** Namespace versions when there is no Redis. */
  private readonly localVersions = new Map<string, number>();
  /** Invalidations that could not reach Redis; replayed on reconnect. */
  private readonly pendingInvalidations = new Set<string>();
  private readonly recent = new Map<string, { value: unknown; expiresAt: number }>();
  /** Misses being loaded right now, by versioned key. */
  private readonly inflight = new Map<string, Promise<unknown>>();

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
   * The cached value of `key` in `namespace`, else `load()`'s result (cached for `ttlMs`). Concurrent misses of
   * one key in this process share one `load()`. Errors of `load` pass through uncached; cache errors and
   * slowness fall back to `load`.
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
    } catch {
      this.redis.markUnhealthy();
      return load();
    }
    const local = this.recent.get(fullKey);
    if (local && local.expiresAt > Date.now()) return local.value as T;
    const pending = this.inflight.get(fullKey);
    if (pending) return pending as Promise<T>;
    const fetching = this.readThrough(fullKey, ttlMs, load).finally(() =>
      this.inflight.delete(fullKey),
    );
    this.inflight.set(fullKey, fetching);
    return fetching;
  }

  private async readThrough<T>(fullKey: string, ttlMs: number, load: () => Promise<T>): Promise<T> {
    let hit: T | undefined;
    try {
      hit = await within(this.cache.get<T>(fullKey), READ_BUDGET_MS);
    } catch {
      this.redis.markUnhealthy();
      return load();
    }
    if (hit !== undefined && hit !== null) return this.remember(fullKey, hit, ttlMs);
    const value = await load();
    if (value === null || value === undefined) return value; // "not found" is asked again next time
    void this.cache.set(fullKey, value, ttlMs).catch(() => undefined);
    return this.remember(fullKey, value, ttlMs);
  }

  private remember<T>(fullKey: string, value: T, ttlMs: number): T {
    this.recent.delete(fullKey);
    this.recent.set(fullKey, {
      value: deepFreeze(value),
      expiresAt: Date.now() + Math.min(ttlMs, RECENT_TTL_MS),
    });
    if (this.recent.size > RECENT_MAX) {
      const oldest = this.recent.keys().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
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
