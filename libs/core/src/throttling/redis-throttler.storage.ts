import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { ThrottlerStorageService } from '@nestjs/throttler';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { RedisService } from '../redis/redis.module.js';

/** The record @nestjs/throttler expects back from a storage (times in seconds). */
export interface ThrottleRecord {
  totalHits: number;
  timeToExpire: number;
  isBlocked: boolean;
  timeToBlockExpire: number;
}

// A fixed window per key, atomically. KEYS[1] hit counter, KEYS[2] block marker;
// ARGV: window ms, limit, block ms. Returns { hits, window ms left, blocked 0/1, block ms left }.
const INCREMENT = `
local blockLeft = redis.call('PTTL', KEYS[2])
if blockLeft > 0 then
  local hits = tonumber(redis.call('GET', KEYS[1]) or '0')
  return { hits, math.max(redis.call('PTTL', KEYS[1]), 0), 1, blockLeft }
end
local hits = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
if hits > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  return { hits, left, 1, tonumber(ARGV[3]) }
end
return { hits, left, 0, 0 }`;

const INCREMENT_SHA = createHash('sha1').update(INCREMENT).digest('hex');

const seconds = (ms: number): number => Math.max(0, Math.ceil(ms / 1000));

/**
 * Throttler counters in Redis, shared by every process (one Lua script per hit: INCR, PEXPIRE on the first
 * hit, a block marker past the limit). While Redis is unreachable each process counts on its own
 * (@nestjs/throttler's in-memory storage): limits loosen to per-process, requests never fail or wait.
 * Our own rather than @nest-lab/throttler-storage-redis, whose peer range stops at Nest 11.
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger(RedisThrottlerStorage.name);
  private readonly local = new ThrottlerStorageService();
  private warned = false;

  constructor(private readonly redis: RedisService) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottleRecord> {
    const client = this.redis.client;
    if (client && this.redis.available) {
      try {
        const base = this.redis.key('throttle', throttlerName, key);
        const args = [
          2,
          base,
          `${base}:blocked`,
          String(ttl),
          String(limit),
          String(blockDuration > 0 ? blockDuration : ttl),
        ] as const;
        // By hash (the script is not sent with every hit); Redis answers NOSCRIPT once after a restart.
        const result = (await client.evalsha(INCREMENT_SHA, ...args).catch((error: unknown) => {
          if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
            return client.eval(INCREMENT, ...args);
          }
          throw error;
        })) as [number, number, number, number];
        this.warned = false;
        return {
          totalHits: result[0],
          timeToExpire: seconds(result[1]),
          isBlocked: result[2] === 1,
          timeToBlockExpire: seconds(result[3]),
        };
      } catch (error) {
        this.redis.markUnhealthy();
        this.warnOnce(error);
      }
    } else if (client) {
      this.warnOnce(new Error('Redis is not connected'));
    }
    return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
  }

  private warnOnce(error: unknown): void {
    if (this.warned) return;
    this.warned = true;
    this.logger.warn(
      `Throttling per process while Redis is unavailable: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
