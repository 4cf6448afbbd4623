import { Scope } from '../scope.js';
import { ScopedSql } from './scoped-sql.js';

/** The records whose access is checked by id: each lives in a table with the denormalised area columns. */
export enum AccessResource {
  Member = 'member',
  Application = 'application',
  Structure = 'structure',
  User = 'user',
  Payment = 'payment',
  Meeting = 'meeting',
  Delegate = 'delegate',
}

/** Read: see the record. Write: change it (or, for a structure, the appointments in it). */
export type AccessMode = 'read' | 'write';

export interface AccessRule {
  table: string;
  /** How the 404 names the record: `${label} ${id} was not found`. */
  label: string;
  /**
   * A write to an existing record outside the caller's scope: null answers 404 like a read (the caller may not
   * learn it exists), a message answers 403 with it. A read outside the scope always answers 404.
   */
  writeOutside: string | null;
}

/** The one table of who may reach which record: the caller's scope must contain the record's area. */
export const ACCESS_RULES: Record<AccessResource, AccessRule> = {
  [AccessResource.Member]: { table: 'members', label: 'Member', writeOutside: null },
  [AccessResource.Application]: {
    table: 'membership_applications',
    label: 'Application',
    writeOutside: null,
  },
  [AccessResource.Structure]: {
    table: 'leadership_structures',
    label: 'Structure',
    writeOutside:
      'You may change appointments only in structures inside your own area, at or below your level',
  },
  [AccessResource.User]: {
    table: 'users',
    label: 'User',
    writeOutside: 'This user is outside your area',
  },
  [AccessResource.Payment]: {
    table: 'payments',
    label: 'Payment',
    writeOutside: 'This payment is outside your area',
  },
  [AccessResource.Meeting]: {
    table: 'branch_meetings',
    label: 'Meeting',
    writeOutside: 'You may change meetings only inside your own area',
  },
  [AccessResource.Delegate]: {
    table: 'branch_delegates',
    label: 'Delegate',
    writeOutside: 'You may change delegates only inside your own area',
  },
};

/** One row of the access query: the id and whether it lies inside the caller's scope. */
export interface AccessRow {
  id: string;
  inside: boolean;
}

/** Why access is refused: the record is not there (or may not be known to be there), or it may not be changed. */
export type AccessRefusal = { status: 404; what: string } | { status: 403; message: string };

/** The query behind AccessService.require: every wanted id that exists, and whether it lies inside `scope`. */
export function accessQuery(
  scope: Scope | null | undefined,
  resource: AccessResource,
  ids: readonly string[],
  lock = false,
): { text: string; values: unknown[] } {
  const sql = new ScopedSql();
  const text =
    `SELECT t.id::text AS id, (${sql.scope(scope, 't')}) AS inside FROM ${ACCESS_RULES[resource].table} t ` +
    `WHERE t.id = ANY(${sql.param([...ids])}::uuid[])${lock ? ' FOR UPDATE' : ''}`;
  return { text, values: sql.values };
}

/** The refusal for the first wanted id that fails (see ACCESS_RULES), or null when every one may be reached. */
export function accessRefusal(
  resource: AccessResource,
  mode: AccessMode,
  ids: readonly string[],
  rows: readonly AccessRow[],
): AccessRefusal | null {
  const rule = ACCESS_RULES[resource];
  const inside = new Map(rows.map((r) => [r.id.toLowerCase(), r.inside]));
  for (const id of ids) {
    const found = inside.get(id.toLowerCase());
    if (found === true) continue;
    if (found === undefined || mode === 'read' || rule.writeOutside === null)
      return { status: 404, what: `${rule.label} ${id}` };
    return { status: 403, message: rule.writeOutside };
  }
  return null;
}
