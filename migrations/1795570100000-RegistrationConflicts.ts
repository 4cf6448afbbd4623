import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * registration_conflicts (#15.2): registrations refused because the ID number is a member outside the requester's
 * area. (requested_by, created_at) serves the per-user 24-hour count behind REGISTRATION_CONFLICT_LIMIT.
 */
export class RegistrationConflicts1795570100000 implements MigrationInterface {
  name = 'RegistrationConflicts1795570100000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TYPE "public"."registration_conflict_status" AS ENUM(\'open\', \'resolved\')',
    );
    await queryRunner.query(
      "CREATE TYPE \"public\".\"registration_conflict_source\" AS ENUM('member_create', 'application', 'import')",
    );
    await queryRunner.query(
      'CREATE TYPE "public"."registration_conflict_outcome" AS ENUM(\'transferred\', \'dismissed\')',
    );
    await queryRunner.query(
      'CREATE TABLE "registration_conflicts" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "status" "public"."registration_conflict_status" NOT NULL DEFAULT \'open\', "source" "public"."registration_conflict_source" NOT NULL, "member_id" uuid, "ward_code" character varying(8) NOT NULL, "municipality_code" character varying(8) NOT NULL, "district_code" character varying(8) NOT NULL, "province_code" character varying(3) NOT NULL, "application_id" uuid, "import_id" uuid, "row_number" integer, "requested_by" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "outcome" "public"."registration_conflict_outcome", "note" character varying(500), "resolved_by" uuid, "resolved_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_34d1ed518d4d0b6e719b657a338" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_99f296dc43574370683be0afed" ON "registration_conflicts"  ("status", "created_at") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_20f4104a2a6c4a3ee2365a2df7" ON "registration_conflicts"  ("requested_by", "created_at") ',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."IDX_20f4104a2a6c4a3ee2365a2df7"');
    await queryRunner.query('DROP INDEX "public"."IDX_99f296dc43574370683be0afed"');
    await queryRunner.query('DROP TABLE "registration_conflicts"');
    await queryRunner.query('DROP TYPE "public"."registration_conflict_outcome"');
    await queryRunner.query('DROP TYPE "public"."registration_conflict_source"');
    await queryRunner.query('DROP TYPE "public"."registration_conflict_status"');
  }
}
