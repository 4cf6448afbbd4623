import type { Redis } from 'ioredis';

export interface InvalidationHandlers {
  /** A message arrived on the channel. */
  message(text: string): void;
  /** Messages may have been missed, or the subscription starts (again): forget everything remembered. */
  reset(): void;
  /** Subscribing failed; memory stays untrusted until the connection is ready again. */
  failed(error: unknown): void;
}

/**
 * One Redis channel heard on a connection of its own, for a memory that other processes invalidate (the session
 * cache, the cache's namespace versions). Memory may be trusted only while `subscribed`: whenever the connection
 * drops, and again once the subscription is in place, `reset` runs, because messages may have been missed.
 */
export class InvalidationSubscription {
  private isSubscribed = false;

  constructor(subscriber: Redis, channel: string, handlers: InvalidationHandlers) {
    const stop = (): void => {
      this.isSubscribed = false;
      handlers.reset();
    };
    subscriber.on('close', stop);
    subscriber.on('reconnecting', stop);
    subscriber.on('end', stop);
    subscriber.on('ready', () => {
      subscriber.subscribe(channel).then(() => {
        handlers.reset();
        this.isSubscribed = true;
      }, handlers.failed);
    });
    subscriber.on('message', (from: string, text: string) => {
      if (from === channel) handlers.message(text);
    });
  }

  get subscribed(): boolean {
    return this.isSubscribed;
  }
}
