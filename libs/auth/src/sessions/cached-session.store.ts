import { setImmediate as nextTurn } from 'node:timers/promises';
import { Logger, OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { InvalidationSubscription } from '@app/core';
import { RefreshOutcome, Session, SessionStore } from './session.store.js';

const MAX_ENTRIES = 100_000;

/** What a revocation tells every process: these sessions ended, and (when known) all of this user's. */
interface RevocationMessage {
  sessionIds: string[];
  userId?: string;
}

/** Redis pub/sub for revocations: `publisher` is the process's main connection, `subscriber` one of its own. */
export interface RevocationChannel {
  publisher: Redis;
  subscriber: Redis;
  name: string;
}

/**
 * A short-lived memory of sessions found live, in front of the session store: a request whose session was
 * confirmed live within the last `ttlMs` skips the store's round trip. Every revocation (logout, logout-all,
 * password change, disabling, a reused refresh token) goes through this store, which forgets the sessions here
 * and publishes them on a Redis channel before it returns; every process forgets them when the message arrives.
 *
 * "Refused on the next request in every process" holds because:
 * - Redis writes the message to each subscriber before it answers the PUBLISH, and the revoking request answers
 *   only after that; a hit waits one turn of the event loop (setImmediate, after the poll phase has read every
 *   socket that was readable, the subscriber's included) and then looks again.
 * - A check that was already on its way to the store when a revocation arrived does not fill the memory
 *   (`generation`), so a stale "live" answer is never remembered.
 * - While the subscriber is not connected and subscribed (start, an outage, reconnecting), nothing is trusted or
 *   remembered: messages may be lost, so the memory is emptied and every request asks the store.
 * Without Redis (one process) revocations only need to reach this process's memory.
 */
export class CachedSessionStore extends SessionStore implements OnApplicationShutdown {
  private readonly logger = new Logger(CachedSessionStore.name);
  /** session id → when the store said it was live + ttl, and its user when the caller named it */
  private readonly live = new Map<string, { until: number; userId: string | undefined }>();
  /** Bumped by every revocation seen here: a store answer that began before one is not remembered. */
  private generation = 0;
  private readonly subscription: InvalidationSubscription | null;

  constructor(
    private readonly inner: SessionStore,
    private readonly ttlMs: number,
    private readonly channel: RevocationChannel | null,
  ) {
    super();
    this.subscription = channel
      ? new InvalidationSubscription(channel.subscriber, channel.name, {
          message: (text) => {
            try {
              this.forget(JSON.parse(text) as RevocationMessage);
            } catch {
              this.forgetAll();
            }
          },
          reset: () => this.forgetAll(),
          failed: (error) =>
            this.logger.warn(
              `Session cache off until Redis answers: ${error instanceof Error ? error.message : String(error)}`,
            ),
        })
      : null;
  }

  /** Memory may be trusted: no Redis (one process), or every revocation is heard. */
  private get subscribed(): boolean {
    return this.subscription ? this.subscription.subscribed : true;
  }

  private forgetAll(): void {
    this.generation += 1;
    this.live.clear();
  }

  private forget({ sessionIds, userId }: RevocationMessage): void {
    this.generation += 1;
    for (const id of sessionIds) this.live.delete(id);
    if (userId === undefined) return;
    for (const [id, entry] of this.live) if (entry.userId === userId) this.live.delete(id);
  }

  /** Forgets here at once, then tells every other process; returns once Redis has delivered the message. */
  private async revoked(message: RevocationMessage): Promise<void> {
    this.forget(message);
    if (!this.channel) return;
    try {
      await this.channel.publisher.publish(this.channel.name, JSON.stringify(message));
    } catch (error) {
      // Redis unreachable: the other processes' subscribers are then (about to be) disconnected too, which
      // empties their memories; at worst a process that kept its subscriber trusts the session for ttlMs.
      this.logger.warn(
        `Session revocation not published: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  async isLive(sessionId: string, userId?: string): Promise<boolean> {
    const known = this.live.get(sessionId);
    if (known && this.subscribed) {
      if (known.until > Date.now()) {
        await nextTurn();
        if (this.live.get(sessionId) === known && this.subscribed) return true;
      } else {
        this.live.delete(sessionId);
      }
    }
    const generation = this.generation;
    const live = await this.inner.isLive(sessionId, userId);
    if (live && this.subscribed && generation === this.generation) {
      if (this.live.size >= MAX_ENTRIES) {
        const oldest = this.live.keys().next().value;
        if (oldest !== undefined) this.live.delete(oldest);
      }
      this.live.set(sessionId, { until: Date.now() + this.ttlMs, userId });
    }
    return live;
  }

  create(session: Session): Promise<void> {
    return this.inner.create(session);
  }

  get(sessionId: string): Promise<Session | null> {
    return this.inner.get(sessionId);
  }

  async rotate(
    sessionId: string,
    presentedHash: string,
    nextHash: string,
    expiresAt: number,
  ): Promise<RefreshOutcome> {
    const outcome = await this.inner.rotate(sessionId, presentedHash, nextHash, expiresAt);
    if (outcome === RefreshOutcome.Reused) await this.revoked({ sessionIds: [sessionId] });
    return outcome;
  }

  async revoke(sessionId: string): Promise<void> {
    await this.inner.revoke(sessionId);
    await this.revoked({ sessionIds: [sessionId] });
  }

  listForUser(userId: string): Promise<Session[]> {
    return this.inner.listForUser(userId);
  }

  async revokeAllForUser(userId: string): Promise<string[]> {
    const ids = await this.inner.revokeAllForUser(userId);
    await this.revoked({ sessionIds: ids, userId });
    return ids;
  }

  countLive(): Promise<number> {
    return this.inner.countLive();
  }

  async onApplicationShutdown(): Promise<void> {
    const subscriber = this.channel?.subscriber;
    await subscriber?.quit().catch(() => subscriber.disconnect());
  }
}
