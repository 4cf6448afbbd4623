import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Statistics come from materialized views, refreshed CONCURRENTLY (each has the unique index that needs):
 * - stats_ward_membership: one row per ward (every ward, with zeros when it has no members) with counts by
 *   status, gender and age band and recent growth, plus the ward's chain for scoping and rolling up;
 * - stats_joins_monthly: members joined per ward per month, for growth series, and
 *   stats_joins_monthly_municipality: the same per municipality (refreshed after it).
 * Anonymised members are not counted. Written by hand: TypeORM does not manage these views.
 */
export class MembershipStats1795562300000 implements MigrationInterface {
  name = 'MembershipStats1795562300000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE MATERIALIZED VIEW stats_ward_membership AS
      SELECT w.code AS ward_code, w.municipality_code, w.district_code, w.province_code,
        count(m.id)::int AS total,
        count(m.id) FILTER (WHERE m.status = 'pending')::int AS pending,
        count(m.id) FILTER (WHERE m.status = 'active')::int AS active,
        count(m.id) FILTER (WHERE m.status = 'grace_period')::int AS grace_period,
        count(m.id) FILTER (WHERE m.status = 'expired')::int AS expired,
        count(m.id) FILTER (WHERE m.status = 'suspended')::int AS suspended,
        count(m.id) FILTER (WHERE m.status = 'cancelled')::int AS cancelled,
        count(m.id) FILTER (WHERE m.status = 'deceased')::int AS deceased,
        count(m.id) FILTER (WHERE m.gender = 'female')::int AS female,
        count(m.id) FILTER (WHERE m.gender = 'male')::int AS male,
        count(m.id) FILTER (WHERE m.date_of_birth > current_date - interval '18 years')::int AS age_under_18,
        count(m.id) FILTER (WHERE m.date_of_birth <= current_date - interval '18 years'
          AND m.date_of_birth > current_date - interval '25 years')::int AS age_18_24,
        count(m.id) FILTER (WHERE m.date_of_birth <= current_date - interval '25 years'
          AND m.date_of_birth > current_date - interval '35 years')::int AS age_25_34,
        count(m.id) FILTER (WHERE m.date_of_birth <= current_date - interval '35 years'
          AND m.date_of_birth > current_date - interval '45 years')::int AS age_35_44,
        count(m.id) FILTER (WHERE m.date_of_birth <= current_date - interval '45 years'
          AND m.date_of_birth > current_date - interval '55 years')::int AS age_45_54,
        count(m.id) FILTER (WHERE m.date_of_birth <= current_date - interval '55 years'
          AND m.date_of_birth > current_date - interval '65 years')::int AS age_55_64,
        count(m.id) FILTER (WHERE m.date_of_birth <= current_date - interval '65 years')::int AS age_65_plus,
        count(m.id) FILTER (WHERE m.joined_on > current_date - 30)::int AS joined_30d,
        count(m.id) FILTER (WHERE m.joined_on > current_date - 365)::int AS joined_365d,
        now() AS refreshed_at
      FROM wards w
      LEFT JOIN members m ON m.ward_code = w.code AND m.anonymised_at IS NULL
      GROUP BY w.code`);
    await queryRunner.query(
      'CREATE UNIQUE INDEX "UQ_stats_ward_membership_ward" ON stats_ward_membership (ward_code)',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_stats_ward_membership_municipality" ON stats_ward_membership (municipality_code)',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_stats_ward_membership_district" ON stats_ward_membership (district_code)',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_stats_ward_membership_province" ON stats_ward_membership (province_code)',
    );
    await queryRunner.query(`
      CREATE MATERIALIZED VIEW stats_joins_monthly AS
      SELECT m.ward_code, m.municipality_code, m.district_code, m.province_code,
        date_trunc('month', m.joined_on)::date AS month, count(*)::int AS joined
      FROM members m
      WHERE m.anonymised_at IS NULL
      GROUP BY m.ward_code, m.municipality_code, m.district_code, m.province_code, 5`);
    await queryRunner.query(
      'CREATE UNIQUE INDEX "UQ_stats_joins_monthly_ward_month" ON stats_joins_monthly (ward_code, month)',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_stats_joins_monthly_month" ON stats_joins_monthly (month, province_code)',
    );
    // The same per municipality (20x fewer rows): growth at municipality level and above reads this one.
    await queryRunner.query(`
      CREATE MATERIALIZED VIEW stats_joins_monthly_municipality AS
      SELECT s.municipality_code, s.district_code, s.province_code, s.month, sum(s.joined)::int AS joined
      FROM stats_joins_monthly s
      GROUP BY s.municipality_code, s.district_code, s.province_code, s.month`);
    await queryRunner.query(
      'CREATE UNIQUE INDEX "UQ_stats_joins_monthly_municipality" ON stats_joins_monthly_municipality (municipality_code, month)',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP MATERIALIZED VIEW stats_joins_monthly_municipality');
    await queryRunner.query('DROP MATERIALIZED VIEW stats_joins_monthly');
    await queryRunner.query('DROP MATERIALIZED VIEW stats_ward_membership');
  }
}
