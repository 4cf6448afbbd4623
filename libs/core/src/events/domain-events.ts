import { Injectable, Logger } from '@nestjs/common';
import type { DomainEventType, EventArea } from './event-types.js';

export interface DomainEvent {
  type: DomainEventType;
  /** Where the entity lives; the realtime gateway sends the event to sockets whose scope contains it. */
  area: EventArea | null;
  /** member.transferred: the area the entity left, whose sockets are told too. */
  previousArea?: EventArea | null;
  /** Send only to this user's sockets (import.progress, auth.sessions_revoked). */
  userId?: string;
  /** Session ids affected (auth.sessions_revoked); all of the user's when absent. */
  sessionIds?: string[];
  /** The documented payload (event-payloads.ts): never ID numbers, cell numbers or addresses. */
  payload: Record<string, unknown>;
  occurredAt: string;
}

export type DomainEventHandler = (event: DomainEvent) => void | Promise<void>;

/**
 * In-process bus for domain events. Features publish after their transaction commits; libs/realtime
 * subscribes and maps events to socket.io rooms (which the Redis adapter spreads across processes).
 */
@Injectable()
export class DomainEventBus {
  private readonly logger = new Logger(DomainEventBus.name);
  private readonly handlers = new Set<DomainEventHandler>();

  subscribe(handler: DomainEventHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  publish(event: Omit<DomainEvent, 'occurredAt'>): void {
    const full: DomainEvent = { ...event, occurredAt: new Date().toISOString() };
    for (const handler of this.handlers) {
      Promise.resolve()
        .then(() => handler(full))
        .catch((error: unknown) =>
          this.logger.error({ err: error, type: event.type }, 'Event handler failed'),
        );
    }
  }
}
