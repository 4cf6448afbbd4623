import { MigrationInterface, QueryRunner } from 'typeorm';

export class MemberImports1795562177563 implements MigrationInterface {
  name = 'MemberImports1795562177563';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      "CREATE TYPE \"public\".\"member_import_status\" AS ENUM('queued', 'running', 'completed', 'failed')",
    );
    await queryRunner.query(
      'CREATE TYPE "public"."member_import_mode" AS ENUM(\'create\', \'upsert\')',
    );
    await queryRunner.query(
      'CREATE TYPE "public"."member_import_format" AS ENUM(\'csv\', \'xlsx\')',
    );
    await queryRunner.query(
      'CREATE TABLE "member_import_jobs" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "status" "public"."member_import_status" NOT NULL, "mode" "public"."member_import_mode" NOT NULL, "dry_run" boolean NOT NULL, "file_name" character varying(255) NOT NULL, "format" "public"."member_import_format" NOT NULL, "file_sha256" character(64) NOT NULL, "file_size" integer NOT NULL, "scope_key" character varying(40) NOT NULL, "province_code" character varying(3), "district_code" character varying(8), "municipality_code" character varying(8), "ward_code" character varying(8), "uploaded_by" uuid NOT NULL, "total_rows" integer NOT NULL DEFAULT \'0\', "valid_rows" integer NOT NULL DEFAULT \'0\', "inserted_rows" integer NOT NULL DEFAULT \'0\', "updated_rows" integer NOT NULL DEFAULT \'0\', "rejected_rows" integer NOT NULL DEFAULT \'0\', "duplicate_rows" integer NOT NULL DEFAULT \'0\', "committed_through_row" integer NOT NULL DEFAULT \'1\', "error" character varying(1000), "ignored_columns" jsonb NOT NULL DEFAULT \'[]\', "started_at" TIMESTAMP WITH TIME ZONE, "finished_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_32a72dd0053184b252f8b26b603" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_7ef03f545f09f38fb50ed77b13" ON "member_import_jobs"  ("uploaded_by", "created_at") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_fc9bad942b63e0ed6e02724b57" ON "member_import_jobs"  ("scope_key", "file_sha256") ',
    );
    await queryRunner.query(
      'CREATE TABLE "member_import_rejections" ("job_id" uuid NOT NULL, "row_number" integer NOT NULL, "duplicate" boolean NOT NULL, "reasons" jsonb NOT NULL, "masked_id_number" character varying(13), "first_names" character varying(100), "surname" character varying(100), "ward_code" character varying(20), CONSTRAINT "PK_16404e6256d25d7ac9ad132e80a" PRIMARY KEY ("job_id", "row_number"))',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "member_import_rejections"');
    await queryRunner.query('DROP INDEX "public"."IDX_fc9bad942b63e0ed6e02724b57"');
    await queryRunner.query('DROP INDEX "public"."IDX_7ef03f545f09f38fb50ed77b13"');
    await queryRunner.query('DROP TABLE "member_import_jobs"');
    await queryRunner.query('DROP TYPE "public"."member_import_format"');
    await queryRunner.query('DROP TYPE "public"."member_import_mode"');
    await queryRunner.query('DROP TYPE "public"."member_import_status"');
  }
}
