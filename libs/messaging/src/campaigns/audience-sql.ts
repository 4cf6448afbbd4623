import { AuthUser, Scope, ScopedSql, ScopeLevel } from '@app/auth';
import { MessageChannel } from '../outbox-message.entity.js';
import { ExpiryWindow } from '../dto/campaign.dto.js';

export interface Audience {
  area: Scope;
  statuses: readonly string[];
  expiry: ExpiryWindow | null;
  /**
   * A meeting's invitees (ids), as libs/branches decides them (MeetingsService.invitees: the one rule of who is
   * invited); area, statuses and expiry then play no part.
   */
  memberIds?: readonly string[] | null;
}

/** Days from today of each expiry window: [from, to] inclusive, negative = in the past. */
const WINDOWS: Record<ExpiryWindow, [number, number]> = {
  expiring_30_days: [0, 30],
  expiring_14_days: [0, 14],
  expiring_7_days: [0, 7],
  expired_within_90_days: [-90, -1],
};

/**
 * The WHERE clause over `members m` of an audience: inside the sender's scope and the audience area (both
 * through ScopedSql, never hand-written), with the statuses and expiry window asked for, never an erased member
 * or one who objected to being contacted (contact_objected_at), and only members reachable on the channel.
 * A meeting audience is its invitees' ids (still inside the sender's scope, objectors and erased members out).
 */
export function audienceWhere(
  sql: ScopedSql,
  actor: AuthUser,
  audience: Audience,
  channel: MessageChannel,
  today: string,
): string {
  const reachable = [
    'm.anonymised_at IS NULL',
    'm.contact_objected_at IS NULL',
    channel === MessageChannel.Sms
      ? "m.cell_number IS NOT NULL AND m.cell_number <> ''"
      : "m.email IS NOT NULL AND m.email <> ''",
  ];
  if (audience.memberIds)
    return [
      sql.scope(actor.scope, 'm'),
      `m.id = ANY(${sql.param([...audience.memberIds])}::uuid[])`,
      ...reachable,
    ].join(' AND ');
  const parts = [
    sql.scope(actor.scope, 'm'),
    audience.area.level === ScopeLevel.National ? '1 = 1' : sql.scope(audience.area, 'm'),
    `m.status = ANY(${sql.param([...audience.statuses])}::member_status[])`,
    ...reachable,
  ];
  if (audience.expiry) {
    const [from, to] = WINDOWS[audience.expiry];
    const day = sql.param(today);
    parts.push(
      `m.expires_on BETWEEN ${day}::date + ${sql.param(from)}::int AND ${day}::date + ${sql.param(to)}::int`,
    );
  }
  return parts.join(' AND ');
}

/**
 * SQL of a message text with the member variables filled from `members m` (the campaign variables are filled
 * already). First names are the first given name, at most 20 characters (the size the template was checked at).
 */
export function renderSql(sql: ScopedSql, text: string | null): string {
  if (text === null) return 'NULL';
  return `replace(replace(replace(${sql.param(text)}::text,
      '{{firstName}}', left(split_part(m.first_names, ' ', 1), 20)),
      '{{membershipNumber}}', m.membership_number),
      '{{expiryDate}}', coalesce(to_char(m.expires_on, 'YYYY-MM-DD'), ''))`;
}
