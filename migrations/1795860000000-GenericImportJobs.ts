import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The import engine leaves members (libs/files/src/imports): member_import_jobs becomes import_jobs, with the row
 * kind and its JSON parameters (existing jobs are `members`), and member_import_rejections becomes
 * import_rejections, whose kind-specific report fields are one JSON array (the member columns, in order: masked ID
 * number, first names, surname, ward code). The old names stay as views of the member jobs, for the SQL that ops
 * and the specs already run against them.
 */
export class GenericImportJobs1795860000000 implements MigrationInterface {
  name = 'GenericImportJobs1795860000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "member_import_jobs" RENAME TO "import_jobs"');
    await queryRunner.query(
      'ALTER INDEX "public"."IDX_7ef03f545f09f38fb50ed77b13" RENAME TO "IDX_4cffca163051dcb3a646b21ae6"',
    );
    await queryRunner.query(
      'ALTER INDEX "public"."IDX_fc9bad942b63e0ed6e02724b57" RENAME TO "IDX_baba19f7dcddcfcfc989291e6d"',
    );
    await queryRunner.query('ALTER TYPE "public"."member_import_status" RENAME TO "import_status"');
    await queryRunner.query('ALTER TYPE "public"."member_import_mode" RENAME TO "import_mode"');
    await queryRunner.query('ALTER TYPE "public"."member_import_format" RENAME TO "import_format"');
    await queryRunner.query(
      `ALTER TABLE "import_jobs" ADD "kind" character varying(40) NOT NULL DEFAULT 'members'`,
    );
    await queryRunner.query('ALTER TABLE "import_jobs" ALTER COLUMN "kind" DROP DEFAULT');
    await queryRunner.query(
      `ALTER TABLE "import_jobs" ADD "parameters" jsonb NOT NULL DEFAULT '{}'`,
    );
    await queryRunner.query('ALTER TABLE "member_import_rejections" RENAME TO "import_rejections"');
    await queryRunner.query(
      `ALTER TABLE "import_rejections" ADD "fields" jsonb NOT NULL DEFAULT '[]'`,
    );
    await queryRunner.query(
      `UPDATE "import_rejections" SET "fields" =
         jsonb_build_array("masked_id_number", "first_names", "surname", "ward_code")`,
    );
    await queryRunner.query(
      'ALTER TABLE "import_rejections" DROP COLUMN "masked_id_number", DROP COLUMN "first_names", ' +
        'DROP COLUMN "surname", DROP COLUMN "ward_code"',
    );
    await queryRunner.query(
      `CREATE VIEW "member_import_jobs" AS SELECT * FROM "import_jobs" WHERE "kind" = 'members'`,
    );
    await queryRunner.query(
      `ALTER VIEW "member_import_jobs" ALTER COLUMN "kind" SET DEFAULT 'members'`,
    );
    await queryRunner.query(
      `CREATE VIEW "member_import_rejections" AS
       SELECT r."job_id", r."row_number", r."duplicate", r."reasons",
         r."fields"->>0 AS "masked_id_number", r."fields"->>1 AS "first_names", r."fields"->>2 AS "surname",
         r."fields"->>3 AS "ward_code"
       FROM "import_rejections" r JOIN "import_jobs" j ON j."id" = r."job_id" AND j."kind" = 'members'`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP VIEW "member_import_rejections"');
    await queryRunner.query('DROP VIEW "member_import_jobs"');
    await queryRunner.query(`DELETE FROM "import_rejections" r USING "import_jobs" j
       WHERE j."id" = r."job_id" AND j."kind" <> 'members'`);
    await queryRunner.query(`DELETE FROM "import_jobs" WHERE "kind" <> 'members'`);
    await queryRunner.query(
      'ALTER TABLE "import_rejections" ADD "masked_id_number" character varying(13), ' +
        'ADD "first_names" character varying(100), ADD "surname" character varying(100), ' +
        'ADD "ward_code" character varying(20)',
    );
    await queryRunner.query(
      `UPDATE "import_rejections" SET "masked_id_number" = left("fields"->>0, 13),
         "first_names" = left("fields"->>1, 100), "surname" = left("fields"->>2, 100),
         "ward_code" = left("fields"->>3, 20)`,
    );
    await queryRunner.query('ALTER TABLE "import_rejections" DROP COLUMN "fields"');
    await queryRunner.query('ALTER TABLE "import_rejections" RENAME TO "member_import_rejections"');
    await queryRunner.query('ALTER TABLE "import_jobs" DROP COLUMN "parameters"');
    await queryRunner.query('ALTER TABLE "import_jobs" DROP COLUMN "kind"');
    await queryRunner.query('ALTER TYPE "public"."import_format" RENAME TO "member_import_format"');
    await queryRunner.query('ALTER TYPE "public"."import_mode" RENAME TO "member_import_mode"');
    await queryRunner.query('ALTER TYPE "public"."import_status" RENAME TO "member_import_status"');
    await queryRunner.query(
      'ALTER INDEX "public"."IDX_baba19f7dcddcfcfc989291e6d" RENAME TO "IDX_fc9bad942b63e0ed6e02724b57"',
    );
    await queryRunner.query(
      'ALTER INDEX "public"."IDX_4cffca163051dcb3a646b21ae6" RENAME TO "IDX_7ef03f545f09f38fb50ed77b13"',
    );
    await queryRunner.query('ALTER TABLE "import_jobs" RENAME TO "member_import_jobs"');
  }
}
