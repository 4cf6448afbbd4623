import { createCache, KeyvAdapter } from 'cache-manager';
import type { CacheManagerStore } from 'cache-manager';
import { redisInsStore } from 'cache-manager-ioredis-yet';
import Keyv from 'keyv';
import { Redis } from 'ioredis';
import { testRedisUrl } from '../../../../test/harness/test-app.js';
import { loadConfig } from '../config/app-config.js';
import { HealthService } from '../health/health.service.js';
import { RedisService } from '../redis/redis.module.js';
import { CacheService, cacheInvalidationSubscriber } from './cache.service.js';

/** Two CacheServices on one real Redis, as two API processes are. */
describe('CacheService on Redis', () => {
  const prefix = `cache-spec-${process.pid}-${Date.now()}:`;
  const redisServices: RedisService[] = [];
  const caches: CacheService[] = [];
  const until = async (condition: () => boolean): Promise<void> => {
    for (let i = 0; i < 200 && !condition(); i += 1) await new Promise((r) => setTimeout(r, 10));
    expect(condition()).toBe(true);
  };
  /**
   * Reads `key` until it loads `fresh`: another process hears an invalidation when Redis's message reaches its
   * subscriber, which may be just after the invalidating call has answered (two sockets, no order between them).
   * Up to 2 s; answers the last value read.
   */
  const readOnceDelivered = async (
    reader: CacheService,
    namespace: string,
    key: string,
    fresh: string,
  ): Promise<string> => {
    let value = '';
    for (let i = 0; i < 200; i += 1) {
      value = await reader.wrap(namespace, key, 60_000, async () => fresh);
      if (value === fresh) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    return value;
  };
  let subscriber: Redis | null = null;
  const open = async (): Promise<CacheService> => {
    const config = loadConfig({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: prefix });
    const redis = new RedisService(config, new HealthService());
    redisServices.push(redis);
    await new Promise<void>((resolve) => redis.client?.once('ready', () => resolve()));
    // As @nestjs/cache-manager wires CacheModule's store (cache.module.ts).
    const store = new KeyvAdapter(redisInsStore(redis.client!) as unknown as CacheManagerStore);
    subscriber = cacheInvalidationSubscriber(redis);
    const cache = new CacheService(
      createCache({ stores: [new Keyv({ store })] }),
      redis,
      subscriber,
    );
    caches.push(cache);
    await until(() => cache.hearsInvalidations);
    return cache;
  };
  afterAll(async () => {
    for (const cache of caches) await cache.onApplicationShutdown();
    for (const redis of redisServices) await redis.client?.quit();
  });

  it('loads a missed key once for concurrent callers, and serves it without loading again', async () => {
    const cache = await open();
    let loads = 0;
    const load = async () => {
      loads += 1;
      await new Promise((r) => setTimeout(r, 50));
      return { total: 7 };
    };
    // The namespace's version known first: ten first-time version reads from Redis may pass the read budget on a
    // loaded machine and fall back to loading (by design), which is not what this test is about.
    await cache.wrap('spec', 'warm-up', 60_000, () => Promise.resolve({ total: 0 }));
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => cache.wrap('spec', 'k1', 60_000, load)),
    );
    expect(answers.every((a) => a.total === 7)).toBe(true);
    expect(loads).toBe(1);
    expect((await cache.wrap('spec', 'k1', 60_000, load)).total).toBe(7);
    expect(loads).toBe(1);
  });

  it('hands out frozen values, so no caller can change what the next one gets', async () => {
    const cache = await open();
    const value = await cache.wrap('spec', 'k2', 60_000, async () => ({ rows: [{ n: 1 }] }));
    expect(() => {
      (value.rows[0] as { n: number }).n = 2;
    }).toThrow(TypeError);
  });

  it('a load that fails fails every waiting caller and is not cached', async () => {
    const cache = await open();
    let loads = 0;
    const failing = async (): Promise<number> => {
      loads += 1;
      await new Promise((r) => setTimeout(r, 20));
      throw new Error('source down');
    };
    const settled = await Promise.allSettled([
      cache.wrap('spec', 'k3', 60_000, failing),
      cache.wrap('spec', 'k3', 60_000, failing),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect(loads).toBe(1);
    expect(await cache.wrap('spec', 'k3', 60_000, async () => 5)).toBe(5);
  });

  it('does not keep a missing value: the next read asks the source again', async () => {
    const cache = await open();
    let loads = 0;
    const missing = async (): Promise<null> => {
      loads += 1;
      return null;
    };
    expect(await cache.wrap('spec', 'k5', 60_000, missing)).toBeNull();
    expect(await cache.wrap('spec', 'k5', 60_000, missing)).toBeNull();
    expect(loads).toBe(2);
  });

  it('an invalidation by another process is seen by its reads once the message arrives, despite the local copy', async () => {
    const [reader, writer] = [await open(), await open()];
    expect(await reader.wrap('spec', 'k4', 60_000, async () => 'old')).toBe('old');
    expect(await reader.wrap('spec', 'k4', 60_000, async () => 'unused')).toBe('old');
    await writer.invalidate('spec');
    expect(await readOnceDelivered(reader, 'spec', 'k4', 'new')).toBe('new');
  });

  /** Bumps the namespace's version in Redis without telling anyone, as a message lost in an outage would. */
  const bumpSilently = async (namespace: string): Promise<void> => {
    const raw = new Redis(testRedisUrl());
    try {
      await raw.incr(`${prefix}cache-version:${namespace}`);
    } finally {
      raw.disconnect();
    }
  };

  it('keeps the version in memory: only a published invalidation reaches a reader, at its next read', async () => {
    const [reader, writer] = [await open(), await open()];
    expect(await reader.wrap('spec-memory', 'k', 60_000, async () => 'old')).toBe('old');
    await bumpSilently('spec-memory');
    expect(await reader.wrap('spec-memory', 'k', 60_000, async () => 'unseen')).toBe('old');
    await writer.invalidate('spec-memory');
    expect(await readOnceDelivered(reader, 'spec-memory', 'k', 'new')).toBe('new');
  });

  it('reads the version from Redis while its subscriber is down, and starts empty after it resubscribes', async () => {
    const reader = await open();
    const readerSubscriber = subscriber!;
    expect(await reader.wrap('spec-outage', 'k', 60_000, async () => 'v1')).toBe('v1');
    await bumpSilently('spec-outage');
    expect(await reader.wrap('spec-outage', 'k', 60_000, async () => 'unseen')).toBe('v1');

    readerSubscriber.disconnect(true);
    await until(() => !reader.hearsInvalidations);
    expect(await reader.wrap('spec-outage', 'k', 60_000, async () => 'v2')).toBe('v2');
    await bumpSilently('spec-outage');
    expect(await reader.wrap('spec-outage', 'k', 60_000, async () => 'v3')).toBe('v3');

    await until(() => reader.hearsInvalidations);
    await bumpSilently('spec-outage');
    // Subscribed again: the version missed while it was down is read afresh, then held in memory.
    expect(await reader.wrap('spec-outage', 'k', 60_000, async () => 'v4')).toBe('v4');
    await bumpSilently('spec-outage');
    expect(await reader.wrap('spec-outage', 'k', 60_000, async () => 'unseen')).toBe('v4');
  });
});
