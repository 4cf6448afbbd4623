import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { MemorySessionStore } from './memory-session.store.js';
import { RedisSessionStore } from './redis-session.store.js';
import { RefreshOutcome, Session, SessionStore } from './session.store.js';

/** How long a session Redis confirmed live stays trusted while Redis is unreachable. */
const CONFIRMED_TRUST_MS = 15 * 60 * 1000;
const MAX_CONFIRMED = 100_000;

/**
 * Sessions in Redis (shared by every process), surviving a Redis outage without letting anyone in:
 * - Redis up: Redis is the truth. A session it reports absent is absent.
 * - Redis down: this process accepts only sessions it saw live in Redis within CONFIRMED_TRUST_MS and has
 *   not seen revoked since, and sessions signed in on this process during the outage (kept in memory). Other
 *   processes do not know the latter, so their users may have to sign in again there ("may log out").
 * - Revocations that cannot reach Redis apply locally at once and are replayed when Redis returns; sessions
 *   created during the outage are written to Redis then too.
 * The gap: a session revoked on another process during the outage stays usable on this one until Redis
 * returns or its access token expires (≤ 15 min), whichever is first.
 */
export class ResilientSessionStore extends SessionStore {
  private readonly logger = new Logger(ResilientSessionStore.name);
  private readonly remote: RedisSessionStore;
  private readonly local = new MemorySessionStore();
  /** session id → { userId, when Redis last said it was live } */
  private readonly confirmed = new Map<string, { userId: string; at: number }>();
  /** Written locally while Redis was down: session id → session, to copy into Redis on reconnect. */
  private readonly unsynced = new Map<string, Session>();
  private readonly pendingSessionRevocations = new Set<string>();
  private readonly pendingUserRevocations = new Set<string>();

  constructor(
    private readonly redis: Redis,
    prefix: string,
    /** Shared view of Redis health (RedisService): skip Redis while another caller saw it fail. */
    private readonly health: { readonly available: boolean; markUnhealthy(): void } = {
      get available() {
        return redis.status === 'ready';
      },
      markUnhealthy: () => undefined,
    },
  ) {
    super();
    this.remote = new RedisSessionStore(redis, prefix);
    redis.on('ready', () => void this.replay());
  }

  private get up(): boolean {
    return this.health.available;
  }

  private confirm(sessionId: string, userId: string): void {
    this.confirmed.delete(sessionId);
    this.confirmed.set(sessionId, { userId, at: Date.now() });
    if (this.confirmed.size > MAX_CONFIRMED) {
      const oldest = this.confirmed.keys().next().value;
      if (oldest !== undefined) this.confirmed.delete(oldest);
    }
  }

  private warn(what: string, error: unknown): void {
    this.logger.warn(
      `${what} without Redis: ${error instanceof Error ? error.message : String(error)}`,
    );
  }

  async create(session: Session): Promise<void> {
    if (this.up) {
      try {
        await this.remote.create(session);
        this.confirm(session.id, session.userId);
        return;
      } catch (error) {
        this.health.markUnhealthy();
        this.warn('Session kept on this process only', error);
      }
    }
    await this.local.create(session);
    this.unsynced.set(session.id, session);
  }

  async isLive(sessionId: string): Promise<boolean> {
    if (await this.local.isLive(sessionId)) return true;
    if (this.up) {
      try {
        const session = await this.remote.get(sessionId);
        if (this.hasPending) void this.replay();
        if (session && session.expiresAt > Date.now()) {
          this.confirm(sessionId, session.userId);
          return true;
        }
        this.confirmed.delete(sessionId);
        return false;
      } catch {
        // Redis failed or hung mid-request: fall back below, and skip it for a moment
        this.health.markUnhealthy();
      }
    }
    const seen = this.confirmed.get(sessionId);
    return seen !== undefined && Date.now() - seen.at < CONFIRMED_TRUST_MS;
  }

  async get(sessionId: string): Promise<Session | null> {
    const mine = await this.local.get(sessionId);
    if (mine) return mine;
    if (!this.up) return null;
    try {
      return await this.remote.get(sessionId);
    } catch {
      this.health.markUnhealthy();
      return null;
    }
  }

  async rotate(
    sessionId: string,
    presentedHash: string,
    nextHash: string,
    expiresAt: number,
  ): Promise<RefreshOutcome> {
    if (await this.local.isLive(sessionId)) {
      const outcome = await this.local.rotate(sessionId, presentedHash, nextHash, expiresAt);
      const session = await this.local.get(sessionId);
      if (session && this.unsynced.has(sessionId)) this.unsynced.set(sessionId, session);
      return outcome;
    }
    // A refresh needs the session's current hash, which only Redis holds: while it is down the client is
    // asked to sign in again (a 401, never a wrongly accepted token).
    if (!this.up) return RefreshOutcome.Unknown;
    try {
      return await this.remote.rotate(sessionId, presentedHash, nextHash, expiresAt);
    } catch {
      return RefreshOutcome.Unknown;
    }
  }

  async revoke(sessionId: string): Promise<void> {
    await this.local.revoke(sessionId);
    this.unsynced.delete(sessionId);
    this.confirmed.delete(sessionId);
    try {
      if (!this.up) throw new Error('Redis is not connected');
      await this.remote.revoke(sessionId);
    } catch (error) {
      this.pendingSessionRevocations.add(sessionId);
      this.warn('Session revoked on this process; Redis follows on reconnect', error);
    }
  }

  /** This process's sessions made during an outage, and Redis's when it answers. */
  async listForUser(userId: string): Promise<Session[]> {
    const sessions = new Map((await this.local.listForUser(userId)).map((s) => [s.id, s]));
    if (this.up) {
      try {
        for (const session of await this.remote.listForUser(userId))
          if (!this.pendingSessionRevocations.has(session.id)) sessions.set(session.id, session);
      } catch (error) {
        this.health.markUnhealthy();
        this.warn('Session list from this process only', error);
      }
    }
    return [...sessions.values()].sort((a, b) => a.createdAt - b.createdAt);
  }

  async revokeAllForUser(userId: string): Promise<string[]> {
    const ids = new Set(await this.local.revokeAllForUser(userId));
    for (const id of ids) this.unsynced.delete(id);
    for (const [id, seen] of this.confirmed) {
      if (seen.userId === userId) {
        ids.add(id);
        this.confirmed.delete(id);
      }
    }
    try {
      if (!this.up) throw new Error('Redis is not connected');
      for (const id of await this.remote.revokeAllForUser(userId)) ids.add(id);
    } catch (error) {
      this.pendingUserRevocations.add(userId);
      this.warn("User's sessions revoked on this process; Redis follows on reconnect", error);
    }
    return [...ids];
  }

  async countLive(): Promise<number> {
    const local = await this.local.countLive();
    if (!this.up) return local;
    return local + (await this.remote.countLive().catch(() => 0));
  }

  private get hasPending(): boolean {
    return (
      this.unsynced.size + this.pendingSessionRevocations.size + this.pendingUserRevocations.size >
      0
    );
  }

  private replaying = false;

  /** Redis is back (reconnected, or answering again after hanging): apply what happened here meanwhile. */
  private async replay(): Promise<void> {
    if (this.replaying) return;
    this.replaying = true;
    try {
      for (const userId of [...this.pendingUserRevocations]) {
        await this.remote.revokeAllForUser(userId);
        this.pendingUserRevocations.delete(userId);
      }
      for (const id of [...this.pendingSessionRevocations]) {
        await this.remote.revoke(id);
        this.pendingSessionRevocations.delete(id);
      }
      for (const [id, session] of [...this.unsynced]) {
        if (this.pendingUserRevocations.has(session.userId)) continue;
        await this.remote.create(session);
        this.unsynced.delete(id);
        await this.local.revoke(id);
        this.confirm(id, session.userId);
      }
    } catch (error) {
      this.warn('Session replay postponed', error);
    } finally {
      this.replaying = false;
    }
  }
}
