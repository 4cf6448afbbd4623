import {
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { HealthService } from '../health/health.service.js';

/**
 * Where the process's Redis is: REDIS_URL, or with REDIS_SENTINELS + REDIS_SENTINEL_NAME the master the Sentinels
 * name (ioredis asks them on every (re)connect and follows a failover; REDIS_URL then gives password, TLS and db,
 * its host is ignored). Every client of the process (sessions, throttling, cache, socket.io adapter, invalidation
 * subscriptions) is made from this by RedisService, so they all follow the same master.
 */
export function redisTarget(
  config: Pick<
    AppConfig,
    'REDIS_URL' | 'REDIS_SENTINELS' | 'REDIS_SENTINEL_NAME' | 'REDIS_SENTINEL_PASSWORD'
  >,
): string | RedisOptions {
  const url = config.REDIS_URL ?? 'redis://localhost:6379';
  if (config.REDIS_SENTINELS.length === 0 || !config.REDIS_SENTINEL_NAME) return url;
  const parsed = new URL(url);
  const db = Number(parsed.pathname.replace(/^\//, '') || '0');
  return {
    sentinels: config.REDIS_SENTINELS.map((entry) => {
      const at = entry.lastIndexOf(':');
      return { host: entry.slice(0, at), port: Number(entry.slice(at + 1)) };
    }),
    name: config.REDIS_SENTINEL_NAME,
    sentinelPassword: config.REDIS_SENTINEL_PASSWORD,
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: Number.isInteger(db) ? db : 0,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
    // A Sentinel that does not answer should not hold up the others.
    sentinelRetryStrategy: (times: number) => Math.min(times * 200, 2000),
    // After a failover the old master, now a replica, answers writes with READONLY: reconnect to the new one.
    // (A crashed master simply closes the connection; ioredis then asks the Sentinels again.)
    reconnectOnError: (error: Error) => error.message.startsWith('READONLY'),
  };
}

/** How long Redis is skipped after a command failed or timed out. */
const DEGRADED_MS = 2000;

/**
 * The process's Redis connection, or none when REDIS_URL is unset (in-process stores instead).
 * Commands fail fast while Redis is down (no offline queue, short timeouts): callers fall back, never hang.
 */
@Injectable()
export class RedisService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RedisService.name);
  /** null when REDIS_URL is not configured. */
  readonly client: Redis | null;
  readonly keyPrefix: string;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly health: HealthService,
  ) {
    this.keyPrefix = config.REDIS_KEY_PREFIX;
    this.client = config.REDIS_URL ? this.connect(redisTarget(config), 'main') : null;
  }

  /**
   * A new connection with the same settings (pub/sub needs its own). Null without REDIS_URL. `overrides`
   * adjusts ioredis options, e.g. a subscriber may queue its SUBSCRIBE until the first connection is up.
   */
  duplicate(name: string, overrides: Partial<RedisOptions> = {}): Redis | null {
    return this.client ? this.connect(this.client.options, name, overrides) : null;
  }

  private connect(
    target: string | RedisOptions,
    name: string,
    overrides: Partial<RedisOptions> = {},
  ): Redis {
    const options: RedisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 500,
      connectTimeout: 2000,
      lazyConnect: false,
      retryStrategy: (times: number) => Math.min(times * 200, 2000),
      connectionName: `eff-api-${name}`,
      // Commands issued in the same tick (the throttle counter and the session check of many concurrent
      // requests) go out in one write: per request, one socket write to Redis costs more than the command.
      // Only on the main connection; pub/sub connections keep plain commands.
      enableAutoPipelining: name === 'main',
      ...overrides,
    };
    const client =
      typeof target === 'string'
        ? new Redis(target, options)
        : new Redis({ ...target, ...options });
    client.on('error', (error: Error) => this.logger.warn(`Redis (${name}): ${error.message}`));
    return client;
  }

  private degradedUntil = 0;

  /**
   * Whether commands can be sent right now: connected, and no command timed out or failed in the last
   * DEGRADED_MS (a Redis that hangs instead of refusing costs one slow command, not one per request).
   */
  get available(): boolean {
    return this.client?.status === 'ready' && Date.now() >= this.degradedUntil;
  }

  private probe: NodeJS.Timeout | null = null;

  /**
   * Callers report a failed or timed-out command; everyone skips Redis for a moment. A PING shortly after
   * (and every successful readiness check) ends the pause early once Redis answers again.
   */
  markUnhealthy(): void {
    this.degradedUntil = Date.now() + DEGRADED_MS;
    const client = this.client;
    if (!client || this.probe) return;
    this.probe = setTimeout(() => {
      this.probe = null;
      client.ping().then(
        () => (this.degradedUntil = 0),
        () => undefined,
      );
    }, 250);
    this.probe.unref();
  }

  /** A key in this deployment's namespace. */
  key(...parts: string[]): string {
    return `${this.keyPrefix}${parts.join(':')}`;
  }

  onModuleInit(): void {
    const client = this.client;
    if (client) {
      this.health.register('redis', async () => {
        await client.ping();
        this.degradedUntil = 0;
      });
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client?.quit().catch(() => this.client?.disconnect());
  }
}

@Global()
@Module({ providers: [RedisService], exports: [RedisService] })
export class RedisModule {}
