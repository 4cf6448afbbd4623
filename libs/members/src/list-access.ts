import { AuthUser, isNational, scopeProvinceCode } from '@app/auth';
import type { AuditService } from '@app/core';

/** The access records of list pages (POPIA access logging): who read which page, with which filters. */
export const LIST_ACCESS_ACTIONS = {
  members: 'members.listed',
  applications: 'applications.listed',
} as const;

/**
 * Queues one access record for a page of a list through the batched access writer: the actor, the filters
 * (the cursor left out), how many rows the page held and their ids. One record per page, however long.
 */
export function recordListAccess(
  audit: AuditService,
  actor: AuthUser,
  list: keyof typeof LIST_ACCESS_ACTIONS,
  query: object,
  rows: readonly { id: string; provinceCode: string }[],
): void {
  const filters: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(query)) {
    if (key !== 'cursor' && value !== undefined) filters[key] = value;
  }
  audit.recordAccess({
    action: LIST_ACCESS_ACTIONS[list],
    entityType: list === 'members' ? 'member' : 'membership_application',
    entityId: null,
    provinceCode: isNational(actor.scope)
      ? null
      : (scopeProvinceCode(actor.scope) ?? rows[0]?.provinceCode ?? null),
    actorUserId: actor.id,
    changes: {
      filters,
      page: 'cursor' in query && query.cursor ? 'next' : 'first',
      count: rows.length,
      ids: rows.map((r) => r.id),
    },
  });
}
