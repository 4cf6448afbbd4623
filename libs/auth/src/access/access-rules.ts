/** The records whose access is checked by id: each lives in a table with the denormalised area columns. */
export enum AccessResource {
  Member = 'member',
  Application = 'application',
  Structure = 'structure',
  User = 'user',
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
};
