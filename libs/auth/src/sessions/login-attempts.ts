import type { Redis } from 'ioredis';

/**
 * Counts failed logins per key (account email, client address) within a window. In Redis when it answers,
 * else in this process (a Redis outage may weaken the count across processes, never block a login).
 */
export class LoginAttempts {
  private readonly local = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly redis: Redis | null,
    private readonly prefix: string,
    private readonly windowSeconds: number,
    /** Shared view of Redis health (RedisService): skip Redis while another caller saw it fail. */
    private readonly health?: { readonly available: boolean; markUnhealthy(): void },
  ) {}

  private get up(): boolean {
    return this.health ? this.health.available : this.redis?.status === 'ready';
  }

  private key(kind: string, id: string): string {
    return `${this.prefix}login-failures:${kind}:${id}`;
  }

  async count(kind: string, id: string): Promise<number> {
    if (this.redis && this.up) {
      try {
        return Number((await this.redis.get(this.key(kind, id))) ?? 0);
      } catch {
        this.health?.markUnhealthy(); // fall through to the local count
      }
    }
    const entry = this.local.get(this.key(kind, id));
    return entry && entry.resetAt > Date.now() ? entry.count : 0;
  }

  /**
   * Counts one more attempt for the key and answers its number within the window, atomically (Redis INCR, or
   * this process's map): of any number of parallel attempts, exactly one gets each number.
   */
  reserve(kind: string, id: string): Promise<number> {
    return this.fail(kind, id);
  }

  /** Keeps the key's count (past the limit) for `seconds` from now, then lets it expire. */
  async holdFor(kind: string, id: string, seconds: number): Promise<void> {
    const key = this.key(kind, id);
    if (this.redis && this.up) {
      try {
        await this.redis.expire(key, seconds);
        return;
      } catch {
        this.health?.markUnhealthy(); // fall through
      }
    }
    const entry = this.local.get(key);
    if (entry) entry.resetAt = Date.now() + seconds * 1000;
  }

  async fail(kind: string, id: string): Promise<number> {
    const key = this.key(kind, id);
    if (this.redis && this.up) {
      try {
        const [[, count]] = (await this.redis
          .multi()
          .incr(key)
          .expire(key, this.windowSeconds, 'NX')
          .exec()) as [[Error | null, number]];
        return count;
      } catch {
        this.health?.markUnhealthy(); // fall through
      }
    }
    const now = Date.now();
    const entry = this.local.get(key);
    const next =
      entry && entry.resetAt > now
        ? { count: entry.count + 1, resetAt: entry.resetAt }
        : { count: 1, resetAt: now + this.windowSeconds * 1000 };
    this.local.set(key, next);
    return next.count;
  }

  /** Gives back a number `reserve` took, for an attempt that turned out not to be a failure. */
  async release(kind: string, id: string): Promise<void> {
    const key = this.key(kind, id);
    if (this.redis && this.up) {
      try {
        // With its expiry, in case the window ended meanwhile (a bare DECR would leave a key that never expires).
        await this.redis.multi().decr(key).expire(key, this.windowSeconds, 'NX').exec();
        return;
      } catch {
        this.health?.markUnhealthy(); // fall through
      }
    }
    const entry = this.local.get(key);
    if (entry && entry.count > 0) entry.count -= 1;
  }

  async clear(kind: string, id: string): Promise<void> {
    const key = this.key(kind, id);
    this.local.delete(key);
    if (this.redis && this.up) await this.redis.del(key).catch(() => this.health?.markUnhealthy());
  }
}
