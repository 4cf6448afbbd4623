import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuthUser, overlapsScope, scopeKey, ScopeLevel, scopeWhere } from '@app/auth';
import { APP_CONFIG, AppException, CacheService, ReadConnection } from '@app/core';
import { STATS_CACHE_NAMESPACE } from './stats-refresher.js';
import {
  membershipStatsQuery,
  MembershipStatsRow,
  PARENT,
  toMembershipStats,
} from './stats-queries.js';
import type { AppConfig } from '@app/core';
import { GeographyLevel, GeographyService } from '@app/geography';
import {
  GrowthDto,
  GrowthInterval,
  GrowthQueryDto,
  MembershipStatsDto,
  MembershipStatsQueryDto,
  StandingDto,
  StandingLevel,
  StandingQueryDto,
  StatsLevel,
} from './dto/stats.dto.js';

const round1 = (n: number): number => Math.round(n * 10) / 10;

/**
 * Membership statistics from the materialized views, always restricted to the caller's scope; an area outside
 * it answers 404. Answers are cached per scope and query until the next refresh (or the TTL).
 */
@Injectable()
export class StatsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly geography: GeographyService,
    private readonly cache: CacheService,
    private readonly reads: ReadConnection,
  ) {}

  private cached<T>(key: string, compute: () => Promise<T>): Promise<T> {
    const ttlMs = this.config.STATS_CACHE_TTL_SECONDS * 1000;
    return ttlMs > 0 ? this.cache.wrap(STATS_CACHE_NAMESPACE, key, ttlMs, compute) : compute();
  }

  private async query<T>(sql: string, params: Record<string, unknown>): Promise<T[]> {
    const [text, values] = this.dataSource.driver.escapeQueryWithParameters(sql, params);
    return await this.reads.query<T & object>(text, values);
  }

  /**
   * 404 unless the area exists and overlaps the caller's scope: it lies inside the scope, or the caller's
   * own area lies inside it (then the numbers cover only the caller's part).
   */
  private async requireArea(actor: AuthUser, level: StatsLevel, code: string): Promise<void> {
    const chain = await this.geography.areaChain(level as unknown as GeographyLevel, code);
    const overlaps =
      chain !== null &&
      (await overlapsScope(actor, level as unknown as ScopeLevel, code, chain, () =>
        this.geography.areaChain(
          actor.scope.level as unknown as GeographyLevel,
          actor.scope.code ?? '',
        ),
      ));
    if (!overlaps) throw AppException.notFound('Area');
  }

  private areaFilter(
    level: StandingLevel,
    code: string | undefined,
  ): { sql: string; params: Record<string, string> } {
    if (level === StandingLevel.National) return { sql: '1 = 1', params: {} };
    if (!code) throw AppException.badRequest(`code is required for level ${level}`, 'code');
    return { sql: `s.${level}_code = :areaCode`, params: { areaCode: code } };
  }

  async membership(actor: AuthUser, query: MembershipStatsQueryDto): Promise<MembershipStatsDto> {
    const parentLevel = PARENT[query.level];
    const parentCode = parentLevel ? (query.parentCode ?? null) : null;
    if (parentLevel && parentCode) await this.requireArea(actor, parentLevel, parentCode);
    return this.cached(
      `stats:membership:${scopeKey(actor.scope)}:${query.level}:${parentCode ?? ''}`,
      async () => {
        const { text, values } = membershipStatsQuery(actor.scope, query.level, parentCode);
        return toMembershipStats(
          query.level,
          parentCode,
          await this.reads.query<MembershipStatsRow>(text, values),
        );
      },
    );
  }

  async standing(actor: AuthUser, query: StandingQueryDto): Promise<StandingDto> {
    const level = query.level;
    const code = level === StandingLevel.National ? null : (query.code ?? null);
    const area = this.areaFilter(level, code ?? undefined);
    if (level !== StandingLevel.National && code) {
      await this.requireArea(actor, level as unknown as StatsLevel, code);
    }
    return this.cached(
      `stats:standing:${scopeKey(actor.scope)}:${level}:${code ?? ''}`,
      async () => {
        const scope = scopeWhere(actor.scope, 's');
        const min = this.config.GOOD_STANDING_MIN_ACTIVE;
        const rows = await this.query<{
          code: string;
          name: string;
          wards: number;
          good: number;
          refreshed_at: Date | null;
        }>(
          `SELECT s.municipality_code AS code, n.name, count(*)::int AS wards,
           count(*) FILTER (WHERE s.active >= :min)::int AS good, max(s.refreshed_at) AS refreshed_at
         FROM stats_ward_membership s JOIN municipalities n ON n.code = s.municipality_code
         WHERE (${scope.sql}) AND (${area.sql})
         GROUP BY s.municipality_code, n.name ORDER BY s.municipality_code`,
          { ...scope.params, ...area.params, min },
        );
        const municipalities = rows.map((r) => {
          const percentage = r.wards > 0 ? round1((r.good * 100) / r.wards) : 0;
          return {
            code: r.code,
            name: r.name,
            wards: r.wards,
            wardsInGoodStanding: r.good,
            percentage,
            adequatelyRepresented:
              r.wards > 0 &&
              (r.good * 100) / r.wards >= this.config.MUNICIPALITY_REPRESENTATION_PCT,
          };
        });
        const wards = rows.reduce((sum, r) => sum + r.wards, 0);
        const good = rows.reduce((sum, r) => sum + r.good, 0);
        const refreshed = rows.find((r) => r.refreshed_at)?.refreshed_at ?? null;
        return {
          level,
          code,
          thresholds: {
            goodStandingMinActive: min,
            municipalityRepresentationPct: this.config.MUNICIPALITY_REPRESENTATION_PCT,
            assemblyWardPct: this.config.ASSEMBLY_WARD_PCT,
          },
          wards,
          wardsInGoodStanding: good,
          percentage: wards > 0 ? round1((good * 100) / wards) : 0,
          assemblyMaySit: wards > 0 && (good * 100) / wards >= this.config.ASSEMBLY_WARD_PCT,
          municipalitiesAdequatelyRepresented: municipalities.filter((m) => m.adequatelyRepresented)
            .length,
          municipalities,
          refreshedAt: refreshed ? new Date(refreshed).toISOString() : null,
        };
      },
    );
  }

  async growth(actor: AuthUser, query: GrowthQueryDto): Promise<GrowthDto> {
    if (query.from > query.to) throw AppException.badRequest('from must not be after to', 'from');
    const months =
      (Number(query.to.slice(0, 4)) - Number(query.from.slice(0, 4))) * 12 +
      Number(query.to.slice(5, 7)) -
      Number(query.from.slice(5, 7));
    if (months > 240) throw AppException.badRequest('The range may span at most 20 years', 'to');
    const code = query.level === StandingLevel.National ? null : (query.code ?? null);
    const area = this.areaFilter(query.level, code ?? undefined);
    if (query.level !== StandingLevel.National && code) {
      await this.requireArea(actor, query.level as unknown as StatsLevel, code);
    }
    const unit = query.interval;
    return this.cached(
      `stats:growth:${scopeKey(actor.scope)}:${query.level}:${code ?? ''}:${unit}:${query.from}:${query.to}`,
      async () => {
        const scope = scopeWhere(actor.scope, 's');
        const format = unit === GrowthInterval.Year ? 'YYYY' : 'YYYY-MM';
        // Ward-level questions need the ward view; everything else reads the 20x smaller municipality one.
        const view =
          actor.scope.level === ScopeLevel.Ward || query.level === StandingLevel.Ward
            ? 'stats_joins_monthly'
            : 'stats_joins_monthly_municipality';
        const rows = await this.query<{ period: string; joined: number; cumulative: number }>(
          `WITH periods AS (
             SELECT generate_series(date_trunc('${unit}', :from::date), date_trunc('${unit}', :to::date),
               interval '1 ${unit}')::date AS period),
           joins AS (
             SELECT date_trunc('${unit}', s.month)::date AS period, sum(s.joined)::int AS joined
             FROM ${view} s
             WHERE (${scope.sql}) AND (${area.sql})
               AND s.month >= date_trunc('${unit}', :from::date) AND s.month <= :to::date
             GROUP BY 1),
           base AS (
             SELECT COALESCE(sum(s.joined), 0)::int AS before FROM ${view} s
             WHERE (${scope.sql}) AND (${area.sql}) AND s.month < date_trunc('${unit}', :from::date))
           SELECT to_char(p.period, '${format}') AS period, COALESCE(j.joined, 0)::int AS joined,
             (base.before + sum(COALESCE(j.joined, 0)) OVER (ORDER BY p.period))::int AS cumulative
           FROM periods p LEFT JOIN joins j ON j.period = p.period CROSS JOIN base
           ORDER BY p.period`,
          { ...scope.params, ...area.params, from: query.from, to: query.to },
        );
        return { interval: unit, from: query.from, to: query.to, data: rows };
      },
    );
  }
}
