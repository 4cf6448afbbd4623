import { createCache, KeyvAdapter } from 'cache-manager';
import type { CacheManagerStore } from 'cache-manager';
import { redisInsStore } from 'cache-manager-ioredis-yet';
import Keyv from 'keyv';
import { testRedisUrl } from '../../../../test/harness/test-app.js';
import { loadConfig } from '../config/app-config.js';
import { HealthService } from '../health/health.service.js';
import { RedisService } from '../redis/redis.module.js';
import { CacheService } from './cache.service.js';

/** Two CacheServices on one real Redis, as two API processes are. */
describe('CacheService on Redis', () => {
  const prefix = `cache-spec-${process.pid}-${Date.now()}:`;
  const redisServices: RedisService[] = [];
  const open = async (): Promise<CacheService> => {
    const config = loadConfig({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: prefix });
    const redis = new RedisService(config, new HealthService());
    redisServices.push(redis);
    await new Promise<void>((resolve) => redis.client?.once('ready', () => resolve()));
    // As @nestjs/cache-manager wires CacheModule's store (cache.module.ts).
    const store = new KeyvAdapter(redisInsStore(redis.client!) as unknown as CacheManagerStore);
    return new CacheService(createCache({ stores: [new Keyv({ store })] }), redis);
  };
  afterAll(async () => {
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

  it('an invalidation by another process is seen at the next read, despite the local copy', async () => {
    const [reader, writer] = [await open(), await open()];
    expect(await reader.wrap('spec', 'k4', 60_000, async () => 'old')).toBe('old');
    expect(await reader.wrap('spec', 'k4', 60_000, async () => 'unused')).toBe('old');
    await writer.invalidate('spec');
    expect(await reader.wrap('spec', 'k4', 60_000, async () => 'new')).toBe('new');
  });
});
