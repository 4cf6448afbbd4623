import { StructureKind } from './leadership.enums.js';

/**
 * One position as the catalogue declares it; seeded into leadership_positions by seedLeadership (upsert by
 * structure kind + code; positions dropped from the catalogue stay in the table, for the history).
 * Changing seats applies to new appointments: each appointment records single_holder when made, and the
 * service counts current holders against today's seats before appointing.
 */
export interface PositionDefinition {
  code: string;
  title: string;
  /** How many may hold it at once; 1 = a single-holder position (guaranteed by an exclusion constraint). */
  seats: number;
  /** Eligibility: the holder must be a member of this province. */
  provinceCode?: string;
}

/** The CCT's top six, in order of seniority. */
export const TOP_SIX: readonly PositionDefinition[] = [
  { code: 'president', title: 'President', seats: 1 },
  { code: 'deputy_president', title: 'Deputy President', seats: 1 },
  { code: 'secretary_general', title: 'Secretary General', seats: 1 },
  { code: 'deputy_secretary_general', title: 'Deputy Secretary General', seats: 1 },
  { code: 'national_chairperson', title: 'National Chairperson', seats: 1 },
  { code: 'treasurer_general', title: 'Treasurer General', seats: 1 },
];

/** The provinces a War Council deployee is named for, one each (a deployee must be a member there). */
export const DEPLOYEE_PROVINCES: readonly { code: string; name: string }[] = [
  { code: 'EC', name: 'Eastern Cape' },
  { code: 'FS', name: 'Free State' },
  { code: 'GP', name: 'Gauteng' },
  { code: 'KZN', name: 'KwaZulu-Natal' },
  { code: 'LP', name: 'Limpopo' },
  { code: 'MP', name: 'Mpumalanga' },
  { code: 'NC', name: 'Northern Cape' },
  { code: 'NW', name: 'North West' },
  { code: 'WC', name: 'Western Cape' },
];

/** Additional-member seats per command team: the party changes these, so they live here, in one place. */
export const ADDITIONAL_MEMBER_SEATS: Record<
  Exclude<StructureKind, StructureKind.WarCouncil>,
  number
> = {
  [StructureKind.Cct]: 40,
  [StructureKind.Pct]: 15,
  [StructureKind.Rct]: 10,
  [StructureKind.Srct]: 10,
  [StructureKind.Bct]: 7,
};

const LOWER_TEAM_OFFICERS: readonly PositionDefinition[] = [
  { code: 'chairperson', title: 'Chairperson', seats: 1 },
  { code: 'deputy_chairperson', title: 'Deputy Chairperson', seats: 1 },
  { code: 'secretary', title: 'Secretary', seats: 1 },
  { code: 'deputy_secretary', title: 'Deputy Secretary', seats: 1 },
  { code: 'treasurer', title: 'Treasurer', seats: 1 },
  { code: 'organiser', title: 'Organiser', seats: 1 },
  { code: 'youth_leader', title: 'Youth Leader', seats: 1 },
  { code: 'womens_leader', title: "Women's Leader", seats: 1 },
];

function additional(kind: Exclude<StructureKind, StructureKind.WarCouncil>): PositionDefinition {
  return {
    code: 'additional_member',
    title: 'Additional Member',
    seats: ADDITIONAL_MEMBER_SEATS[kind],
  };
}

/** Every structure kind's positions, in display order. */
export const POSITION_CATALOGUE: Record<StructureKind, readonly PositionDefinition[]> = {
  [StructureKind.Cct]: [...TOP_SIX, additional(StructureKind.Cct)],
  [StructureKind.WarCouncil]: [
    ...TOP_SIX,
    ...DEPLOYEE_PROVINCES.map((p) => ({
      code: `deployee_${p.code.toLowerCase()}`,
      title: `CCT Deployee (${p.name})`,
      seats: 1,
      provinceCode: p.code,
    })),
  ],
  [StructureKind.Pct]: [...LOWER_TEAM_OFFICERS, additional(StructureKind.Pct)],
  [StructureKind.Rct]: [...LOWER_TEAM_OFFICERS, additional(StructureKind.Rct)],
  [StructureKind.Srct]: [...LOWER_TEAM_OFFICERS, additional(StructureKind.Srct)],
  [StructureKind.Bct]: [...LOWER_TEAM_OFFICERS, additional(StructureKind.Bct)],
};
