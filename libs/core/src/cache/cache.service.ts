import { setImmediate as nextTurn } from 'node:timers/promises';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import type { Redis } from 'ioredis';
import { markShared } from '../http/serialised-json.js';
import { InvalidationSubscription } from '../redis/invalidation-subscription.js';
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
 * The connection on which a CacheService hears invalidations (null without Redis). Like the session store's, it
 * queues its SUBSCRIBE until Redis answers and resubscribes after an outage.
 */
export function cacheInvalidationSubscriber(redis: RedisService): Redis | null {
  return redis.duplicate('cache-invalidations', {
    enableOfflineQueue: true,
    commandTimeout: undefined,
    maxRetriesPerRequest: null,
  });
}

/**
 * Read-through caching by namespace (geography, statistics, …) on @nestjs/cache-manager: Redis when
 * REDIS_URL is set, else this process's memory. `invalidate(namespace)` bumps the namespace's version (a
 * Redis counter), so every process stops reading the old entries at once; they expire by their TTL.
 * While Redis is unreachable the cache is bypassed (answers come from the source, never stale or slow) and
 * invalidations are remembered and replayed when it returns.
 * Each process also keeps the entries it read or wrote lately (`recent`, by versioned key, frozen), and the
 * namespace versions it read (`versions`), so a hit costs no round trip to Redis. `invalidate` publishes the
 * namespace on a Redis channel and answers once Redis has delivered it to every subscriber; each process forgets
 * that namespace's version when the message arrives (the pattern of CachedSessionStore):
 * - a remembered version is used only after one event-loop turn, so a message already on the socket is read first;
 * - a version read from Redis that was under way when a message arrived is not remembered (`generation`);
 * - while the subscriber is not connected and subscribed, nothing is remembered and every read asks Redis, and
 *   after it (re)subscribes the memory starts empty.
 */
@Injectable()
export class CacheService implements OnApplicationShutdown {
  private readonly logger = new Logger(CacheService.name);
  /** Namespace versions when there is no Redis. */
  private readonly localVersions = new Map<string, number>();
  /** Invalidations that could not reach Redis; replayed on reconnect. */
  private readonly pendingInvalidations = new Set<string>();
  private readonly recent = new Map<string, { value: unknown; expiresAt: number }>();
  /** Misses being loaded right now, by versioned key. */
  private readonly inflight = new Map<string, Promise<unknown>>();
  /** Namespace versions read from Redis, trusted only while `subscribed`. */
  private readonly versions = new Map<string, number>();
  /** Bumped by every invalidation seen here: a version read that began before one is not remembered. */
  private generation = 0;
  private readonly subscription: InvalidationSubscription | null;
  private readonly channel: string;

  constructor(
    private readonly cache: Cache,
    private readonly redis: RedisService,
    private readonly subscriber: Redis | null,
  ) {
    this.channel = redis.key('cache-invalidations');
    this.redis.client?.on('ready', () => void this.replayInvalidations());
    this.subscription = subscriber
      ? new InvalidationSubscription(subscriber, this.channel, {
          message: (namespace) => {
            this.generation += 1;
            this.versions.delete(namespace);
          },
          reset: () => this.forgetVersions(),
          failed: (error) =>
            this.logger.warn(
              `Cache versions read from Redis until it answers: ${error instanceof Error ? error.message : String(error)}`,
            ),
        })
      : null;
  }

  /** Whether this process hears invalidations, so it may keep namespace versions in memory. */
  get hearsInvalidations(): boolean {
    return this.subscribed;
  }

  private get subscribed(): boolean {
    return this.subscription?.subscribed ?? false;
  }

  private forgetVersions(): void {
    this.generation += 1;
    this.versions.clear();
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
      const version =
        (await this.rememberedVersion(namespace)) ??
        (await within(this.version(namespace), READ_BUDGET_MS));
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
    // Frozen, so every request it answers may share one serialisation of it (ExpressAppAdapter.reply).
    const frozen = deepFreeze(value);
    markShared(frozen);
    this.recent.set(fullKey, {
      value: frozen,
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
      this.generation += 1;
      this.versions.delete(namespace);
      if (this.subscriber) await client.publish(this.channel, namespace);
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

  /** The namespace's version from memory, if it may be trusted now; else undefined (ask Redis). */
  private async rememberedVersion(namespace: string): Promise<number | undefined> {
    if (!this.subscribed) return undefined;
    const known = this.versions.get(namespace);
    if (known === undefined) return undefined;
    await nextTurn();
    return this.subscribed && this.versions.get(namespace) === known ? known : undefined;
  }

  private async version(namespace: string): Promise<number> {
    const client = this.redis.client;
    if (!client) return this.localVersions.get(namespace) ?? 0;
    const generation = this.generation;
    const version = Number((await client.get(this.versionKey(namespace))) ?? 0);
    if (this.subscribed && generation === this.generation) this.versions.set(namespace, version);
    return version;
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

  async onApplicationShutdown(): Promise<void> {
    const subscriber = this.subscriber;
    await subscriber?.quit().catch(() => subscriber.disconnect());
  }
}
