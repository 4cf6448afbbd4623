import { Permission, roomsForArea, scopeRoom } from '@app/auth';
import type { Scope } from '@app/auth';
import { DomainEventType } from '@app/core';
import type { DomainEvent, RealtimeEventType } from '@app/core';

export { REALTIME_NAMESPACE, REALTIME_PATH } from '@app/core';

/** The room of national-scope sockets (scopeRoom of the national scope). */
export const NATIONAL_ROOM = 'scope:national';

/** Every socket of a user (events with `userId`, revocation of all of a user's sessions). */
export const userRoom = (userId: string): string => `user:${userId}`;
/** Every socket opened with one session's access tokens (logout of that session). */
export const sessionRoom = (sessionId: string): string => `session:${sessionId}`;

/**
 * The one map of which permission a socket needs to hear each event about an area: what it would need to read
 * the entity over HTTP. null: the event is addressed to one user (import.progress) or broadcast (stats.updated)
 * and carries no entity data, so it needs none.
 */
export const EVENT_PERMISSION: Readonly<Record<RealtimeEventType, Permission | null>> = {
  [DomainEventType.MemberCreated]: Permission.MembersRead,
  [DomainEventType.MemberUpdated]: Permission.MembersRead,
  [DomainEventType.MemberStatusChanged]: Permission.MembersRead,
  [DomainEventType.MemberTransferred]: Permission.MembersRead,
  [DomainEventType.ApplicationSubmitted]: Permission.ApplicationsRead,
  [DomainEventType.ApplicationDecided]: Permission.ApplicationsRead,
  [DomainEventType.ApplicationFinanciallyReviewed]: Permission.ApplicationsRead,
  [DomainEventType.LeadershipChanged]: Permission.LeadershipRead,
  [DomainEventType.ImportProgress]: null,
  [DomainEventType.StatsUpdated]: null,
  [DomainEventType.PaymentRecorded]: Permission.PaymentsRead,
  [DomainEventType.PaymentVerified]: Permission.PaymentsRead,
  [DomainEventType.PaymentRejected]: Permission.PaymentsRead,
  [DomainEventType.MeetingChanged]: Permission.BranchesRead,
  [DomainEventType.WardComplianceApproved]: Permission.BranchesRead,
  [DomainEventType.DelegateSelected]: Permission.BranchesRead,
};

/** Every permission some scoped event needs: a socket holding none of them joins no scope room. */
export const SCOPED_EVENT_PERMISSIONS: readonly Permission[] = [
  ...new Set(Object.values(EVENT_PERMISSION).filter((p): p is Permission => p !== null)),
];

/**
 * The sub-room of a scope room for one permission (`scope:province:GP#payments:read`): events needing that
 * permission are emitted there, so the Redis adapter fans out only to sockets allowed to hear them.
 */
export const permissionRoom = (scopeRoomName: string, permission: Permission): string =>
  `${scopeRoomName}#${permission}`;

/**
 * The rooms a socket joins: its user, its session and, for each permission of SCOPED_EVENT_PERMISSIONS it holds,
 * its scope's sub-room for that permission (none when the scope is invalid; none at all for a role without any,
 * such as `member`).
 */
export function roomsForSocket(identity: {
  userId: string;
  sessionId: string;
  scope: Scope;
  permissions: readonly string[];
}): string[] {
  const rooms = [userRoom(identity.userId), sessionRoom(identity.sessionId)];
  const scope = scopeRoom(identity.scope);
  if (!scope) return rooms;
  for (const permission of SCOPED_EVENT_PERMISSIONS) {
    if (identity.permissions.includes(permission)) rooms.push(permissionRoom(scope, permission));
  }
  return rooms;
}

/**
 * The rooms an event goes to. `userId` events: that user only. The events in `broadcast` (stats.updated) carry
 * no entity data and go to every socket (null). Otherwise the EVENT_PERMISSION sub-rooms of every scope
 * containing the event's area (and its previous area, for transfers). An event without an area concerns a
 * national entity (the Central Command Team, the War Council): only national-scope sockets, whose scope
 * contains every entity, hear it — no province, district, municipality or ward socket does. An event needing
 * no permission that is neither addressed nor broadcast goes nowhere ([]).
 */
export function roomsForEvent(
  event: Pick<DomainEvent, 'type' | 'area' | 'previousArea' | 'userId'>,
  broadcast: ReadonlySet<string>,
): string[] | null {
  if (event.userId) return [userRoom(event.userId)];
  if (broadcast.has(event.type)) return null;
  const permission = EVENT_PERMISSION[event.type as RealtimeEventType] ?? null;
  if (!permission) return [];
  if (event.area) {
    const rooms = new Set(roomsForArea(event.area));
    if (event.previousArea) for (const room of roomsForArea(event.previousArea)) rooms.add(room);
    return [...rooms].map((room) => permissionRoom(room, permission));
  }
  return [permissionRoom(NATIONAL_ROOM, permission)];
}
