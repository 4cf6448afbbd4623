import type { Redis } from 'ioredis';
import { RefreshOutcome, Session, SessionStore } from './session.store.js';

// KEYS[1] session hash, KEYS[2] used-hashes set; ARGV: presented, next, expiresAtMs, ttlSeconds, sessionId,
// the user-sessions key prefix, nowMs (the user's set is named from the session's userId, in the same round trip)
// A rotation extends the user's session set too (never shortens it), so logout-all, disabling and password
// changes still find a session that has been refreshed for longer than its first lifetime.
const ROTATE = `
local current = redis.call('HGET', KEYS[1], 'refreshHash')
if not current then return 'unknown' end
local userKey = ARGV[6] .. redis.call('HGET', KEYS[1], 'userId')
if current == ARGV[1] then
  redis.call('HSET', KEYS[1], 'refreshHash', ARGV[2], 'expiresAt', ARGV[3], 'lastUsedAt', ARGV[7])
  redis.call('SADD', KEYS[2], ARGV[1])
  redis.call('EXPIRE', KEYS[1], ARGV[4])
  redis.call('EXPIRE', KEYS[2], ARGV[4])
  redis.call('SADD', userKey, ARGV[5])
  redis.call('EXPIRE', userKey, ARGV[4], 'NX')
  redis.call('EXPIRE', userKey, ARGV[4], 'GT')
  return 'rotated'
end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then
  redis.call('DEL', KEYS[1], KEYS[2])
  redis.call('SREM', userKey, ARGV[5])
  return 'reused'
end
return 'unknown'`;

function toSession(id: string, data: Record<string, string>): Session | null {
  if (!data.userId || !data.refreshHash) return null;
  return {
    id,
    userId: data.userId,
    refreshHash: data.refreshHash,
    createdAt: Number(data.createdAt),
    expiresAt: Number(data.expiresAt),
    lastUsedAt: Number(data.lastUsedAt ?? data.createdAt),
    ...(data.address === undefined ? {} : { address: data.address }),
    ...(data.userAgent === undefined ? {} : { userAgent: data.userAgent }),
  };
}

/** Sessions in Redis, shared by every process; revocation is a DEL that every process sees at once. */
export class RedisSessionStore extends SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    super();
  }

  private sessionKey(id: string): string {
    return `${this.prefix}session:${id}`;
  }

  private usedKey(id: string): string {
    return `${this.prefix}session:${id}:used`;
  }

  private userKey(userId: string): string {
    return `${this.prefix}user-sessions:${userId}`;
  }

  private ttl(expiresAt: number): number {
    return Math.max(1, Math.ceil((expiresAt - Date.now()) / 1000));
  }

  async create(session: Session): Promise<void> {
    const ttl = this.ttl(session.expiresAt);
    await this.redis
      .multi()
      .hset(this.sessionKey(session.id), {
        userId: session.userId,
        refreshHash: session.refreshHash,
        createdAt: String(session.createdAt),
        expiresAt: String(session.expiresAt),
        lastUsedAt: String(session.lastUsedAt ?? session.createdAt),
        ...(session.address === undefined ? {} : { address: session.address }),
        ...(session.userAgent === undefined ? {} : { userAgent: session.userAgent }),
      })
      .expire(this.sessionKey(session.id), ttl)
      .sadd(this.userKey(session.userId), session.id)
      // a new set gets the TTL; an existing one is only ever extended (it must outlive every session in it)
      .expire(this.userKey(session.userId), ttl, 'NX')
      .expire(this.userKey(session.userId), ttl, 'GT')
      .exec();
  }

  async isLive(sessionId: string): Promise<boolean> {
    return (await this.redis.exists(this.sessionKey(sessionId))) === 1;
  }

  async get(sessionId: string): Promise<Session | null> {
    return toSession(sessionId, await this.redis.hgetall(this.sessionKey(sessionId)));
  }

  async listForUser(userId: string): Promise<Session[]> {
    const ids = await this.redis.smembers(this.userKey(userId));
    if (ids.length === 0) return [];
    const multi = this.redis.multi();
    for (const id of ids) multi.hgetall(this.sessionKey(id));
    const replies = (await multi.exec()) ?? [];
    const sessions: Session[] = [];
    ids.forEach((id, i) => {
      const [error, data] = replies[i] ?? [null, null];
      if (error) throw error;
      const session = toSession(id, data as Record<string, string>);
      if (session && session.userId === userId && session.expiresAt > Date.now())
        sessions.push(session);
    });
    return sessions.sort((a, b) => a.createdAt - b.createdAt);
  }

  async rotate(
    sessionId: string,
    presentedHash: string,
    nextHash: string,
    expiresAt: number,
  ): Promise<RefreshOutcome> {
    const result = await this.redis.eval(
      ROTATE,
      2,
      this.sessionKey(sessionId),
      this.usedKey(sessionId),
      presentedHash,
      nextHash,
      String(expiresAt),
      String(this.ttl(expiresAt)),
      sessionId,
      this.userKey(''),
      String(Date.now()),
    );
    return result === 'rotated'
      ? RefreshOutcome.Rotated
      : result === 'reused'
        ? RefreshOutcome.Reused
        : RefreshOutcome.Unknown;
  }

  async revoke(sessionId: string): Promise<void> {
    const userId = await this.redis.hget(this.sessionKey(sessionId), 'userId');
    const multi = this.redis.multi().del(this.sessionKey(sessionId), this.usedKey(sessionId));
    if (userId) multi.srem(this.userKey(userId), sessionId);
    await multi.exec();
  }

  async revokeAllForUser(userId: string): Promise<string[]> {
    const ids = await this.redis.smembers(this.userKey(userId));
    const multi = this.redis.multi();
    for (const id of ids) multi.del(this.sessionKey(id), this.usedKey(id));
    multi.del(this.userKey(userId));
    await multi.exec();
    return ids;
  }

  async countLive(): Promise<number> {
    let count = 0;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(
        cursor,
        'MATCH',
        `${this.prefix}session:*`,
        'COUNT',
        500,
      );
      count += keys.filter((k) => !k.endsWith(':used')).length;
      cursor = next;
    } while (cursor !== '0');
    return count;
  }
}
