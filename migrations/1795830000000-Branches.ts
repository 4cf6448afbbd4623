import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Branch life (libs/branches): meetings of wards and command structures, their attendance, the ward audit's
 * records, assembly delegates and their per-area limits. Every table carries the denormalised area columns so
 * libs/auth/src/access applies the caller's scope. Also an index on member_transfers(from_ward_code,
 * transferred_at) so "the members of a ward on a past date" finds those who have left since.
 */
export class Branches1795830000000 implements MigrationInterface {
  name = 'Branches1795830000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TYPE "branch_meeting_type" AS ENUM ('bga', 'bpa', 'structure')`,
    );
    await queryRunner.query(
      `CREATE TYPE "branch_meeting_status" AS ENUM ('scheduled', 'held', 'cancelled', 'postponed')`,
    );
    await queryRunner.query(`CREATE TYPE "assembly_type" AS ENUM ('srpa', 'ppa', 'npa')`);
    await queryRunner.query(`
      CREATE TABLE "branch_meetings" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "type" "branch_meeting_type" NOT NULL,
        "structure_id" uuid,
        "structure_kind" varchar(20),
        "province_code" varchar(3),
        "district_code" varchar(8),
        "municipality_code" varchar(8),
        "ward_code" varchar(8),
        "scheduled_on" date NOT NULL,
        "place" varchar(300) NOT NULL,
        "status" "branch_meeting_status" NOT NULL DEFAULT 'scheduled',
        "status_reason" varchar(500),
        "presiding_member_id" uuid,
        "secretary_member_id" uuid,
        "agenda" text,
        "minutes" text,
        "decisions" text,
        "outcome" varchar(1000),
        "created_by" uuid,
        "held_recorded_by" uuid,
        "held_recorded_level" varchar(16),
        "held_recorded_at" timestamptz,
        "verified_by" uuid,
        "verified_at" timestamptz,
        "verified_figures" jsonb,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        "version" integer NOT NULL DEFAULT 1,
        CONSTRAINT "PK_branch_meetings" PRIMARY KEY ("id"),
        CONSTRAINT "CHK_branch_meetings_subject" CHECK (
          ("type" = 'structure' AND "structure_id" IS NOT NULL) OR ("type" <> 'structure' AND "ward_code" IS NOT NULL))
      )`);
    await queryRunner.query(
      'CREATE INDEX "IDX_branch_meetings_ward" ON "branch_meetings" ("ward_code", "type", "scheduled_on" DESC, "id")',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_branch_meetings_structure" ON "branch_meetings" ("structure_id", "scheduled_on" DESC)',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_branch_meetings_scope" ON "branch_meetings" ("province_code", "district_code", "municipality_code", "scheduled_on")',
    );
    await queryRunner.query(`
      CREATE TABLE "branch_meeting_attendance" (
        "meeting_id" uuid NOT NULL,
        "member_id" uuid NOT NULL,
        "membership_number" varchar(20) NOT NULL,
        "recorded_by" uuid,
        "recorded_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "PK_branch_meeting_attendance" PRIMARY KEY ("meeting_id", "member_id")
      )`);
    await queryRunner.query(`
      CREATE TABLE "ward_audit_records" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "kind" varchar(16) NOT NULL,
        "ward_code" varchar(8) NOT NULL,
        "municipality_code" varchar(8) NOT NULL,
        "district_code" varchar(8) NOT NULL,
        "province_code" varchar(3) NOT NULL,
        "compliant" boolean NOT NULL,
        "criteria" jsonb NOT NULL,
        "exception" boolean NOT NULL DEFAULT false,
        "reason" varchar(1000),
        "actor_user_id" uuid,
        "actor_level" varchar(16),
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "PK_ward_audit_records" PRIMARY KEY ("id"),
        CONSTRAINT "CHK_ward_audit_records_kind" CHECK ("kind" IN ('evaluation', 'approval'))
      )`);
    await queryRunner.query(
      'CREATE INDEX "IDX_ward_audit_records_ward" ON "ward_audit_records" ("ward_code", "kind", "created_at" DESC)',
    );
    await queryRunner.query(`
      CREATE TABLE "branch_delegates" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "assembly" "assembly_type" NOT NULL,
        "member_id" uuid NOT NULL,
        "membership_number" varchar(20) NOT NULL,
        "meeting_id" uuid NOT NULL,
        "ward_code" varchar(8) NOT NULL,
        "municipality_code" varchar(8) NOT NULL,
        "district_code" varchar(8) NOT NULL,
        "province_code" varchar(3) NOT NULL,
        "active" boolean NOT NULL DEFAULT true,
        "replaces_id" uuid,
        "replaced_by_id" uuid,
        "replacement_reason" varchar(500),
        "selected_by" uuid,
        "selected_at" timestamptz NOT NULL DEFAULT now(),
        "ended_at" timestamptz,
        CONSTRAINT "PK_branch_delegates" PRIMARY KEY ("id")
      )`);
    await queryRunner.query(
      'CREATE UNIQUE INDEX "UQ_branch_delegates_active_member" ON "branch_delegates" ("assembly", "member_id") WHERE "active"',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_branch_delegates_ward" ON "branch_delegates" ("ward_code", "assembly", "active")',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_branch_delegates_area" ON "branch_delegates" ("province_code", "district_code", "municipality_code", "ward_code")',
    );
    await queryRunner.query(`
      CREATE TABLE "delegate_limits" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "area_level" varchar(16) NOT NULL,
        "area_code" varchar(8) NOT NULL,
        "assembly" "assembly_type" NOT NULL,
        "max_per_ward" integer NOT NULL,
        CONSTRAINT "CHK_delegate_limits_max" CHECK ("max_per_ward" BETWEEN 0 AND 100),
        "updated_by" uuid,
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "PK_delegate_limits" PRIMARY KEY ("id"),
        CONSTRAINT "UQ_delegate_limits_area" UNIQUE ("area_level", "area_code", "assembly")
      )`);
    await queryRunner.query(
      'CREATE INDEX IF NOT EXISTS "IDX_member_transfers_from_ward" ON "member_transfers" ("from_ward_code", "transferred_at")',
    );
    await queryRunner.query(
      'CREATE INDEX IF NOT EXISTS "IDX_members_ward_status" ON "members" ("ward_code", "status")',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX IF EXISTS "IDX_members_ward_status"');
    await queryRunner.query('DROP INDEX IF EXISTS "IDX_member_transfers_from_ward"');
    await queryRunner.query('DROP TABLE "delegate_limits"');
    await queryRunner.query('DROP TABLE "branch_delegates"');
    await queryRunner.query('DROP TABLE "ward_audit_records"');
    await queryRunner.query('DROP TABLE "branch_meeting_attendance"');
    await queryRunner.query('DROP TABLE "branch_meetings"');
    await queryRunner.query('DROP TYPE "assembly_type"');
    await queryRunner.query('DROP TYPE "branch_meeting_status"');
    await queryRunner.query('DROP TYPE "branch_meeting_type"');
  }
}
