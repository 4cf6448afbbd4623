import { Permission, roomsForArea, scopeRoom } from '@app/auth';
import type { Scope } from '@app/auth';
import type { DomainEvent } from '@app/core';

export { REALTIME_NAMESPACE, REALTIME_PATH } from '@app/core';

/** The room of national-scope sockets (scopeRoom of the national scope). */
export const NATIONAL_ROOM = 'scope:national';

/** Every socket of a user (events with `userId`, revocation of all of a user's sessions). */
export const userRoom = (userId: string): string => `user:${userId}`;
/** Every socket opened with one session's access tokens (logout of that session). */
export const sessionRoom = (sessionId: string): string => `session:${sessionId}`;

/**
 * What a socket must be allowed to read over HTTP to hear the scoped entity events (member.*, application.*,
 * leadership.*). A user without them (the `member` role: a ward scope, no permissions) hears only events
 * addressed to them and broadcasts, never their ward's members and applications.
 */
export const SCOPED_EVENT_PERMISSIONS: readonly Permission[] = [
  Permission.MembersRead,
  Permission.ApplicationsRead,
  Permission.LeadershipRead,
];

/**
 * The rooms a socket joins: its user, its session and, when it holds SCOPED_EVENT_PERMISSIONS, its scope
 * (none when the scope is invalid).
 */
export function roomsForSocket(identity: {
  userId: string;
  sessionId: string;
  scope: Scope;
  permissions: readonly string[];
}): string[] {
  const rooms = [userRoom(identity.userId), sessionRoom(identity.sessionId)];
  const scope = scopeRoom(identity.scope);
  const mayRead = SCOPED_EVENT_PERMISSIONS.every((p) => identity.permissions.includes(p));
  if (scope && mayRead) rooms.push(scope);
  return rooms;
}

/**
 * The rooms an event goes to. `userId` events: that user only. Otherwise the rooms of every scope containing
 * the event's area (and its previous area, for transfers). The events in `broadcast` (stats.updated) carry no
 * entity data and go to every socket (null). Any other event without an area concerns a national entity (the
 * Central Command Team, the War Council): only national-scope sockets, whose scope contains every entity, hear
 * it — no province, district, municipality or ward socket does.
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
  return broadcast.has(event.type) ? null : [NATIONAL_ROOM];
}
