import { Role } from '@app/auth';
import type { AuthUser } from '@app/auth';

/**
 * Roles that see members and applications minimised (POPIA data minimisation): bulk exports, lists, single
 * reads and history all leave out PERSONAL_FIELDS for them.
 */
export const MINIMISED_ROLES: readonly Role[] = [Role.Auditor, Role.FinanceOfficer];

/** Identity and contact data: what a minimised role never receives. */
export const PERSONAL_FIELDS = [
  'idNumber',
  'dateOfBirth',
  'cellNumber',
  'email',
  'residentialAddress',
] as const;
export type PersonalField = (typeof PERSONAL_FIELDS)[number];

export function isMinimised(actor: Pick<AuthUser, 'role'>): boolean {
  return MINIMISED_ROLES.includes(actor.role);
}

/** The record without PERSONAL_FIELDS, marked `minimised: true` (so a client can tell the two shapes apart). */
export function minimised<T extends object>(
  record: T,
): Omit<T, PersonalField> & { minimised: true } {
  const copy = { ...record } as Record<string, unknown>;
  for (const field of PERSONAL_FIELDS) delete copy[field];
  return { ...(copy as Omit<T, PersonalField>), minimised: true };
}

/** History or audit details with the values of PERSONAL_FIELDS changes redacted (`changes.<field>`). */
export function minimisedDetails(
  details: Record<string, unknown> | null,
): Record<string, unknown> | null {
  const changes = details?.changes;
  if (!details || typeof changes !== 'object' || changes === null || Array.isArray(changes))
    return details;
  const redacted: Record<string, unknown> = { ...(changes as Record<string, unknown>) };
  for (const field of PERSONAL_FIELDS)
    if (field in redacted) redacted[field] = { from: '[REDACTED]', to: '[REDACTED]' };
  return { ...details, changes: redacted };
}
