import { MigrationInterface, QueryRunner } from 'typeorm';

export class Geography1795491569833 implements MigrationInterface {
  name = 'Geography1795491569833';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "provinces" ("code" character varying(3) NOT NULL, "name" character varying(100) NOT NULL, CONSTRAINT "PK_f4b684af62d5cb3aa174f6b9b8a" PRIMARY KEY ("code"))',
    );
    await queryRunner.query(
      'CREATE TYPE "public"."district_type" AS ENUM(\'district\', \'metropolitan\')',
    );
    await queryRunner.query(
      'CREATE TABLE "districts" ("code" character varying(8) NOT NULL, "name" character varying(100) NOT NULL, "type" "public"."district_type" NOT NULL, "province_code" character varying(3) NOT NULL, CONSTRAINT "PK_8e9d73424149b43b38244f75528" PRIMARY KEY ("code"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_7f4b31875273010908d3985028" ON "districts"  ("province_code") ',
    );
    await queryRunner.query('CREATE TYPE "public"."municipality_category" AS ENUM(\'A\', \'B\')');
    await queryRunner.query(
      'CREATE TABLE "municipalities" ("code" character varying(8) NOT NULL, "name" character varying(150) NOT NULL, "category" "public"."municipality_category" NOT NULL, "district_code" character varying(8) NOT NULL, "province_code" character varying(3) NOT NULL, "ward_count" integer NOT NULL, CONSTRAINT "PK_9e0e960d7323bb120dc5e915dd8" PRIMARY KEY ("code"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_92607e647b879ca20978a0c560" ON "municipalities"  ("district_code") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_f6cd2da536c7d12aecca74f932" ON "municipalities"  ("province_code") ',
    );
    await queryRunner.query(
      'CREATE TABLE "wards" ("code" character varying(8) NOT NULL, "number" integer NOT NULL, "label" character varying(20) NOT NULL, "name" character varying(100) NOT NULL, "municipality_code" character varying(8) NOT NULL, "district_code" character varying(8) NOT NULL, "province_code" character varying(3) NOT NULL, CONSTRAINT "PK_24f16d2207b1dcb6ce07d81d20f" PRIMARY KEY ("code"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_6614cfc610b3ae870f2467d979" ON "wards"  ("district_code") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_6c3a8d384c72ec02bd6dc0ebfe" ON "wards"  ("province_code") ',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_3a1f745da413ad9125198b3c59" ON "wards"  ("municipality_code", "number") ',
    );
    await queryRunner.query(
      'ALTER TABLE "districts" ADD CONSTRAINT "FK_7f4b31875273010908d39850284" FOREIGN KEY ("province_code") REFERENCES "provinces"("code") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "municipalities" ADD CONSTRAINT "FK_92607e647b879ca20978a0c560f" FOREIGN KEY ("district_code") REFERENCES "districts"("code") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "municipalities" ADD CONSTRAINT "FK_f6cd2da536c7d12aecca74f9322" FOREIGN KEY ("province_code") REFERENCES "provinces"("code") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "wards" ADD CONSTRAINT "FK_93998afdb9f74a140be9f225152" FOREIGN KEY ("municipality_code") REFERENCES "municipalities"("code") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "wards" ADD CONSTRAINT "FK_6614cfc610b3ae870f2467d9798" FOREIGN KEY ("district_code") REFERENCES "districts"("code") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "wards" ADD CONSTRAINT "FK_6c3a8d384c72ec02bd6dc0ebfef" FOREIGN KEY ("province_code") REFERENCES "provinces"("code") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "wards" DROP CONSTRAINT "FK_6c3a8d384c72ec02bd6dc0ebfef"');
    await queryRunner.query('ALTER TABLE "wards" DROP CONSTRAINT "FK_6614cfc610b3ae870f2467d9798"');
    await queryRunner.query('ALTER TABLE "wards" DROP CONSTRAINT "FK_93998afdb9f74a140be9f225152"');
    await queryRunner.query(
      'ALTER TABLE "municipalities" DROP CONSTRAINT "FK_f6cd2da536c7d12aecca74f9322"',
    );
    await queryRunner.query(
      'ALTER TABLE "municipalities" DROP CONSTRAINT "FK_92607e647b879ca20978a0c560f"',
    );
    await queryRunner.query(
      'ALTER TABLE "districts" DROP CONSTRAINT "FK_7f4b31875273010908d39850284"',
    );
    await queryRunner.query('DROP INDEX "public"."IDX_3a1f745da413ad9125198b3c59"');
    await queryRunner.query('DROP INDEX "public"."IDX_6c3a8d384c72ec02bd6dc0ebfe"');
    await queryRunner.query('DROP INDEX "public"."IDX_6614cfc610b3ae870f2467d979"');
    await queryRunner.query('DROP TABLE "wards"');
    await queryRunner.query('DROP INDEX "public"."IDX_f6cd2da536c7d12aecca74f932"');
    await queryRunner.query('DROP INDEX "public"."IDX_92607e647b879ca20978a0c560"');
    await queryRunner.query('DROP TABLE "municipalities"');
    await queryRunner.query('DROP TYPE "public"."municipality_category"');
    await queryRunner.query('DROP INDEX "public"."IDX_7f4b31875273010908d3985028"');
    await queryRunner.query('DROP TABLE "districts"');
    await queryRunner.query('DROP TYPE "public"."district_type"');
    await queryRunner.query('DROP TABLE "provinces"');
  }
}
