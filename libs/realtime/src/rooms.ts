import { roomsForArea, scopeRoom } from '@app/auth';
import type { Scope } from '@app/auth';
import type { DomainEvent } from '@app/core';

/** The socket.io namespace and path clients connect to: io(`${origin}/realtime`, { path: '/socket.io' }). */
export const REALTIME_NAMESPACE = '/realtime';
export const REALTIME_PATH = '/socket.io';

/** Every socket of a user (events with `userId`, revocation of all of a user's sessions). */
export const userRoom = (userId: string): string => `user:${userId}`;
/** Every socket opened with one session's access tokens (logout of that session). */
export const sessionRoom = (sessionId: string): string => `session:${sessionId}`;

/** The rooms a socket joins: its user, its session and its scope (none when the scope is invalid). */
export function roomsForSocket(identity: {
  userId: string;
  sessionId: string;
  scope: Scope;
}): string[] {
  const rooms = [userRoom(identity.userId), sessionRoom(identity.sessionId)];
  const scope = scopeRoom(identity.scope);
  if (scope) rooms.push(scope);
  return rooms;
}

/**
 * The rooms an event goes to. `userId` events: that user only. Otherwise the rooms of every scope containing
 * the event's area (and its previous area, for transfers). No area and no user: nobody (fail closed), except
 * the events in `broadcast` (stats.updated), which carry no entity data and go to every socket (null).
 */
export function roomsForEvent(
  event: Pick<DomainEvent, 'type' | 'area' | 'previousArea' | 'userId'>,
  broadcast: ReadonlySet<string>,
): string[] | null {
  if (event.userId) return [userRoom(event.userId)];
  if (event.area) {
    const rooms = new Set(roomsForArea(event.area));
    if (event.previousArea) for (const room of roomsForArea(event.previousArea)) rooms.add(room);
    return [...rooms];
  }
  return broadcast.has(event.type) ? null : [];
}
