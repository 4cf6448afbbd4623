import { AuthUser, Scope, ScopedSql, ScopeLevel } from '@app/auth';
import { MessageChannel } from '../outbox-message.entity.js';
import { ExpiryWindow } from '../dto/campaign.dto.js';

export interface Audience {
  area: Scope;
  statuses: readonly string[];
  expiry: ExpiryWindow | null;
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
 *
 * Extension point: meeting invitees. When the meetings module lands, an audience gains `meetingId`; its clause
 * becomes `m.id IN (SELECT member_id FROM meeting_invitees WHERE meeting_id = $n)` added here, with the meeting's
 * area checked against the sender's scope like `area` is. Nothing else (counting, sampling, queuing) changes.
 */
export function audienceWhere(
  sql: ScopedSql,
  actor: AuthUser,
  audience: Audience,
  channel: MessageChannel,
  today: string,
): string {
  const parts = [
    sql.scope(actor.scope, 'm'),
    audience.area.level === ScopeLevel.National ? '1 = 1' : sql.scope(audience.area, 'm'),
    `m.status = ANY(${sql.param([...audience.statuses])}::member_status[])`,
    'm.anonymised_at IS NULL',
    'm.contact_objected_at IS NULL',
    channel === MessageChannel.Sms
      ? "m.cell_number IS NOT NULL AND m.cell_number <> ''"
      : "m.email IS NOT NULL AND m.email <> ''",
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
