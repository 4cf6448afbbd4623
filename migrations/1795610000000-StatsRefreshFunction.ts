import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * REFRESH MATERIALIZED VIEW needs the view's owner, and the API runs as a DML-only role (eff_app under Compose).
 * refresh_statistics() is a SECURITY DEFINER function owned by the schema owner that refreshes the statistics
 * views CONCURRENTLY, in order (the municipality view is built from the ward one), and nothing else; the roles
 * the owner granted rows of the views to may call it.
 */
export class StatsRefreshFunction1795610000000 implements MigrationInterface {
  name = 'StatsRefreshFunction1795610000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE FUNCTION refresh_statistics() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  REFRESH MATERIALIZED VIEW CONCURRENTLY stats_ward_membership;
  REFRESH MATERIALIZED VIEW CONCURRENTLY stats_joins_monthly;
  REFRESH MATERIALIZED VIEW CONCURRENTLY stats_joins_monthly_municipality;
END $$`);
    await queryRunner.query('REVOKE ALL ON FUNCTION refresh_statistics() FROM PUBLIC');
    // The app role (deploy/docker/postgres-init grants it every table's rows) may call it; later roles get it
    // from that script's default privileges.
    await queryRunner.query(`DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT DISTINCT grantee FROM information_schema.role_table_grants
            WHERE table_schema = current_schema() AND table_name = 'stats_ward_membership'
              AND grantee NOT IN (current_user, 'PUBLIC')
              AND grantee <> (SELECT pg_get_userbyid(relowner) FROM pg_class
                               WHERE oid = 'stats_ward_membership'::regclass)
  LOOP
    EXECUTE format('GRANT EXECUTE ON FUNCTION refresh_statistics() TO %I', r.grantee);
  END LOOP;
END $$`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP FUNCTION refresh_statistics()');
  }
}
