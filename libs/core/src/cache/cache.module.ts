import { Global, Module } from '@nestjs/common';
import { CACHE_MANAGER, CacheModule as NestCacheModule } from '@nestjs/cache-manager';
import type { CacheModuleOptions } from '@nestjs/cache-manager';
import { KeyvAdapter } from 'cache-manager';
import type { Cache, CacheManagerStore } from 'cache-manager';
import { redisInsStore } from 'cache-manager-ioredis-yet';
import { RedisService } from '../redis/redis.module.js';
import { CacheService, cacheInvalidationSubscriber } from './cache.service.js';

/**
 * @nestjs/cache-manager on Redis when REDIS_URL is set (the process's fail-fast ioredis connection), else in
 * memory. cache-manager 7 speaks Keyv; cache-manager-ioredis-yet still offers a cache-manager 5 store, so
 * cache-manager's KeyvAdapter bridges the two.
 */
@Global()
@Module({
  imports: [
    NestCacheModule.registerAsync({
      inject: [RedisService],
      useFactory: (redis: RedisService): CacheModuleOptions =>
        redis.client
          ? {
              stores: [
                new KeyvAdapter(redisInsStore(redis.client) as unknown as CacheManagerStore),
              ],
            }
          : {},
    }),
  ],
  providers: [
    {
      provide: CacheService,
      inject: [CACHE_MANAGER, RedisService],
      useFactory: (cache: Cache, redis: RedisService) =>
        new CacheService(cache, redis, cacheInvalidationSubscriber(redis)),
    },
  ],
  exports: [CacheService],
})
export class CacheModule {}
