import { MigrationInterface, QueryRunner } from 'typeorm';

export class Users1795494977577 implements MigrationInterface {
  name = 'Users1795494977577';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      "CREATE TYPE \"public\".\"user_role\" AS ENUM('super_admin', 'national_admin', 'provincial_admin', 'regional_admin', 'subregional_admin', 'ward_admin', 'auditor', 'member')",
    );
    await queryRunner.query(
      "CREATE TYPE \"public\".\"scope_level\" AS ENUM('national', 'province', 'district', 'municipality', 'ward')",
    );
    await queryRunner.query(
      'CREATE TABLE "users" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "email" character varying(254) NOT NULL, "password_hash" character varying(200) NOT NULL, "name" character varying(120) NOT NULL, "role" "public"."user_role" NOT NULL, "scope_level" "public"."scope_level" NOT NULL, "scope_code" character varying(8), "province_code" character varying(3), "district_code" character varying(8), "municipality_code" character varying(8), "ward_code" character varying(8), "member_id" uuid, "active" boolean NOT NULL DEFAULT true, "failed_login_count" integer NOT NULL DEFAULT \'0\', "locked_until" TIMESTAMP WITH TIME ZONE, "last_login_at" TIMESTAMP WITH TIME ZONE, "password_changed_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "version" integer NOT NULL, CONSTRAINT "PK_a3ffb1c0c8416b9fc6f907b7433" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_97672ac88f789774dd47f7c8be" ON "users"  ("email") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_412f47e121b7907af38877849a" ON "users"  ("province_code", "district_code", "municipality_code", "ward_code") ',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."IDX_412f47e121b7907af38877849a"');
    await queryRunner.query('DROP INDEX "public"."IDX_97672ac88f789774dd47f7c8be"');
    await queryRunner.query('DROP TABLE "users"');
    await queryRunner.query('DROP TYPE "public"."scope_level"');
    await queryRunner.query('DROP TYPE "public"."user_role"');
  }
}
