import type { IncomingHttpHeaders } from 'node:http';
import type { Namespace, Socket } from 'socket.io';
import type { Scope } from '@app/auth';
import {
  controlCharacterErrors,
  DomainEventType,
  ErrorCode,
  type FieldError,
  withoutControlCharacters,
  PROBLEM_EVENT,
  REALTIME_EVENT_TYPES,
  SESSION_ENDED_EVENT,
  type DomainEvent,
  type RealtimeMessage,
  type RealtimeProblemMessage,
  type SessionEndedMessage,
} from '@app/core';
import { roomsForEvent, roomsForSocket, sessionRoom, userRoom } from './rooms.js';

/** Who a socket belongs to, from its access token. */
export interface SocketIdentity {
  userId: string;
  sessionId: string;
  scope: Scope;
  /** The permissions of the user's role: each scoped event needs its EVENT_PERMISSION. */
  permissions: readonly string[];
  /** Epoch ms when the access token expires; the socket is closed then. */
  expiresAt: number;
}

/** Verifies an access token (signature, expiry, live session); throws when it is not acceptable. */
export type SocketAuthenticator = (token: string) => Promise<SocketIdentity>;

const BROADCAST = new Set<string>([DomainEventType.StatsUpdated]);
const DELIVERED = new Set<string>(REALTIME_EVENT_TYPES);

/** The access token of a handshake: `auth: { token }` or an `Authorization: Bearer` header. */
export function handshakeToken(handshake: {
  auth: Record<string, unknown>;
  headers: IncomingHttpHeaders;
}): string | null {
  const fromAuth = handshake.auth.token;
  const raw =
    typeof fromAuth === 'string' && fromAuth.length > 0
      ? fromAuth
      : handshake.headers.authorization;
  if (typeof raw !== 'string') return null;
  const token = raw.replace(/^Bearer\s+/i, '').trim();
  return token.length > 0 && token.length <= 4096 ? token : null;
}

function invalid(errors: FieldError[]): Error & { data: { code: string; errors: FieldError[] } } {
  return Object.assign(new Error(errors.map((e) => e.message).join('; ')), {
    data: { code: ErrorCode.ValidationFailed, errors },
  });
}

function refused(): Error & { data: { code: string } } {
  return Object.assign(new Error('A valid access token is required'), {
    data: { code: 'UNAUTHENTICATED' },
  });
}

/**
 * The realtime rules, free of Nest so they can run on any socket.io namespace: authenticate the handshake,
 * put each socket in its user, session and scope rooms, close it when its token expires or its session is
 * revoked, and send each domain event to the rooms allowed to see it. With the Redis adapter the rooms span
 * every process, so an event is emitted once, by the process where it happened.
 */
export class RealtimeHub {
  constructor(
    private readonly nsp: Namespace,
    private readonly authenticate: SocketAuthenticator,
  ) {}

  attach(): void {
    this.nsp.use((socket, next) => {
      // The API-wide control-character rule, on everything a client sends: the handshake and each message.
      const errors = [
        ...controlCharacterErrors(socket.handshake.auth, 'auth'),
        ...controlCharacterErrors(socket.handshake.query, 'query'),
      ];
      if (errors.length > 0) return next(invalid(errors));
      socket.use(([event, ...args], nextMessage) => {
        const messageErrors = controlCharacterErrors(
          args,
          typeof event === 'string' ? withoutControlCharacters(event) : 'message',
        );
        if (messageErrors.length === 0) return nextMessage();
        socket.emit(PROBLEM_EVENT, {
          status: 400,
          code: ErrorCode.ValidationFailed,
          detail: messageErrors.map((e) => e.message).join('; '),
          errors: messageErrors,
        } satisfies RealtimeProblemMessage);
      });
      const token = handshakeToken(socket.handshake);
      if (!token) return next(refused());
      this.authenticate(token).then(
        (identity) => {
          if (identity.expiresAt <= Date.now()) return next(refused());
          (socket.data as { identity?: SocketIdentity }).identity = identity;
          next();
        },
        () => next(refused()),
      );
    });
    this.nsp.on('connection', (socket: Socket) => this.onConnection(socket));
  }

  get connectedCount(): number {
    return this.nsp.sockets.size;
  }

  private onConnection(socket: Socket): void {
    const identity = (socket.data as { identity?: SocketIdentity }).identity;
    if (!identity) {
      socket.disconnect(true);
      return;
    }
    void socket.join(roomsForSocket(identity));
    const timer = setTimeout(
      () => {
        socket.emit(SESSION_ENDED_EVENT, { reason: 'expired' } satisfies SessionEndedMessage);
        socket.disconnect(true);
      },
      Math.max(0, identity.expiresAt - Date.now()),
    );
    socket.once('disconnect', () => clearTimeout(timer));
  }

  /** Routes one domain event (called for every event on the bus). */
  dispatch(event: DomainEvent): void {
    if (event.type === DomainEventType.SessionsRevoked) {
      this.closeRevoked(event);
      return;
    }
    if (!DELIVERED.has(event.type)) return;
    const rooms = roomsForEvent(event, BROADCAST);
    // nsp.to([]) would reach every socket: an empty room list must mean nobody.
    if (rooms !== null && rooms.length === 0) return;
    const message: RealtimeMessage = {
      type: event.type,
      occurredAt: event.occurredAt,
      area: event.area,
      data: event.payload as unknown as RealtimeMessage['data'],
    };
    (rooms === null ? this.nsp : this.nsp.to(rooms)).emit(event.type, message);
  }

  /** Logout, logout-all, password change: close the affected sockets on every process. */
  private closeRevoked(event: DomainEvent): void {
    const rooms =
      event.sessionIds && event.sessionIds.length > 0
        ? event.sessionIds.map(sessionRoom)
        : event.userId
          ? [userRoom(event.userId)]
          : [];
    if (rooms.length === 0) return;
    this.nsp
      .to(rooms)
      .emit(SESSION_ENDED_EVENT, { reason: 'revoked' } satisfies SessionEndedMessage);
    // This process's sockets at once (even while Redis is down), then every other process's via the adapter.
    this.nsp.in(rooms).local.disconnectSockets(true);
    this.nsp.in(rooms).disconnectSockets(true);
  }
}
