import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A ward's compliance in one indexed read (docs/branches.md "Ward audit: latency"): the ward's members with what
 * their status on a meeting date needs (MemberStandingService.statusOnDateSql), an index-only scan instead of a
 * heap read per member.
 */
export class WardComplianceIndex1795960000000 implements MigrationInterface {
  name = 'WardComplianceIndex1795960000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE INDEX IF NOT EXISTS "IDX_members_ward_standing" ON "members" ("ward_code") INCLUDE ("id", "joined_on", "expires_on", "status")',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX IF EXISTS "IDX_members_ward_standing"');
  }
}
