import { ScopeLevel } from '@app/auth';

/** The kinds of command structure. Declared from the top down: the database enum sorts in this order. */
export enum StructureKind {
  /** Central Command Team (national) */
  Cct = 'cct',
  /** War Council: the CCT's top six and one CCT deployee per province (national) */
  WarCouncil = 'war_council',
  /** Provincial Command Team, one per province */
  Pct = 'pct',
  /** Regional Command Team, one per district or metro */
  Rct = 'rct',
  /** Sub-Regional Command Team, one per municipality */
  Srct = 'srct',
  /** Branch Command Team, one per ward */
  Bct = 'bct',
}

/** The scope level whose area a structure of each kind covers. */
export const STRUCTURE_SCOPE_LEVEL: Record<StructureKind, ScopeLevel> = {
  [StructureKind.Cct]: ScopeLevel.National,
  [StructureKind.WarCouncil]: ScopeLevel.National,
  [StructureKind.Pct]: ScopeLevel.Province,
  [StructureKind.Rct]: ScopeLevel.District,
  [StructureKind.Srct]: ScopeLevel.Municipality,
  [StructureKind.Bct]: ScopeLevel.Ward,
};

/** The area code national structures carry (they have no province, district, municipality or ward). */
export const NATIONAL_AREA_CODE = 'ZA';

export enum AppointmentKind {
  Elected = 'elected',
  Appointed = 'appointed',
  Acting = 'acting',
  CoOpted = 'co_opted',
}

export enum EndReason {
  TermEnded = 'term_ended',
  Resigned = 'resigned',
  Removed = 'removed',
  Deceased = 'deceased',
  Redeployed = 'redeployed',
  Disqualified = 'disqualified',
  Other = 'other',
}

/** Why an open appointment needs attention; computed when reading, so always current. */
export enum AppointmentFlag {
  /** The holder's membership status is no longer Active. */
  MemberNotActive = 'member_not_active',
  /** The holder's ward is no longer inside the structure's area (or, for a deployee, the position's province). */
  MemberOutsideArea = 'member_outside_area',
}
