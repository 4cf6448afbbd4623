import { Scope, ScopedSql } from '@app/auth';
import { AreaMembershipDto, MembershipStatsDto, StatsLevel } from './dto/stats.dto.js';

// The statistics SQL, as builders: the service and the benchmark's hand-written peer (bench/_peer.mjs) run the same text.

const TABLE: Record<StatsLevel, string> = {
  [StatsLevel.Province]: 'provinces',
  [StatsLevel.District]: 'districts',
  [StatsLevel.Municipality]: 'municipalities',
  [StatsLevel.Ward]: 'wards',
};
export const PARENT: Record<StatsLevel, StatsLevel | null> = {
  [StatsLevel.Province]: null,
  [StatsLevel.District]: StatsLevel.Province,
  [StatsLevel.Municipality]: StatsLevel.District,
  [StatsLevel.Ward]: StatsLevel.Municipality,
};

/** One area's sums from stats_ward_membership, as `membershipStatsQuery` selects them. */
export interface MembershipStatsRow {
  code: string;
  name: string;
  total: number;
  pending: number;
  active: number;
  grace_period: number;
  expired: number;
  suspended: number;
  cancelled: number;
  deceased: number;
  female: number;
  male: number;
  age_under_18: number;
  age_18_24: number;
  age_25_34: number;
  age_35_44: number;
  age_45_54: number;
  age_55_64: number;
  age_65_plus: number;
  joined_30d: number;
  joined_365d: number;
  refreshed_at: Date | null;
}

const SUMS = [
  'total',
  'pending',
  'active',
  'grace_period',
  'expired',
  'suspended',
  'cancelled',
  'deceased',
  'female',
  'male',
  'age_under_18',
  'age_18_24',
  'age_25_34',
  'age_35_44',
  'age_45_54',
  'age_55_64',
  'age_65_plus',
  'joined_30d',
  'joined_365d',
] as const;

function toArea(r: MembershipStatsRow): AreaMembershipDto {
  return {
    code: r.code,
    name: r.name,
    total: r.total,
    byStatus: {
      pending: r.pending,
      active: r.active,
      gracePeriod: r.grace_period,
      expired: r.expired,
      suspended: r.suspended,
      cancelled: r.cancelled,
      deceased: r.deceased,
    },
    byGender: { female: r.female, male: r.male },
    byAgeBand: {
      under18: r.age_under_18,
      from18To24: r.age_18_24,
      from25To34: r.age_25_34,
      from35To44: r.age_35_44,
      from45To54: r.age_45_54,
      from55To64: r.age_55_64,
      from65: r.age_65_plus,
    },
    joinedLast30Days: r.joined_30d,
    joinedLast365Days: r.joined_365d,
  };
}

/** GET /stats/membership: one row per area of `level` inside the caller's scope (and the parent area, if given). */
export function membershipStatsQuery(
  scope: Scope,
  level: StatsLevel,
  parentCode: string | null,
): { text: string; values: unknown[] } {
  const sql = new ScopedSql();
  const column = `${level}_code`;
  const parentLevel = PARENT[level];
  const parent =
    parentLevel && parentCode ? `s.${parentLevel}_code = ${sql.param(parentCode)}` : '1 = 1';
  const text = `SELECT s.${column} AS code, n.name, ${SUMS.map((c) => `sum(s.${c})::int AS ${c}`).join(', ')},
       max(s.refreshed_at) AS refreshed_at
     FROM stats_ward_membership s JOIN ${TABLE[level]} n ON n.code = s.${column}
     WHERE (${sql.scope(scope, 's')}) AND ${parent}
     GROUP BY s.${column}, n.name ORDER BY s.${column}`;
  return { text, values: sql.values };
}

export function toMembershipStats(
  level: StatsLevel,
  parentCode: string | null,
  rows: MembershipStatsRow[],
): MembershipStatsDto {
  const refreshed = rows.reduce<Date | null>(
    (max, r) => (r.refreshed_at && (!max || r.refreshed_at > max) ? r.refreshed_at : max),
    null,
  );
  return {
    level,
    parentCode,
    refreshedAt: refreshed ? new Date(refreshed).toISOString() : null,
    data: rows.map(toArea),
  };
}
