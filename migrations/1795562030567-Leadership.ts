import { MigrationInterface, QueryRunner } from 'typeorm';

export class Leadership1795562030567 implements MigrationInterface {
  name = 'Leadership1795562030567';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // btree_gist lets the exclusion constraints below compare uuids with = beside daterange overlap (&&). It ships
    // with PostgreSQL's contrib (the embedded PostgreSQL 18 too). Kept on revert: other schemas may use it.
    await queryRunner.query('CREATE EXTENSION IF NOT EXISTS btree_gist');
    await queryRunner.query(
      "CREATE TYPE \"public\".\"leadership_structure_kind\" AS ENUM('cct', 'war_council', 'pct', 'rct', 'srct', 'bct')",
    );
    await queryRunner.query(
      'CREATE TABLE "leadership_positions" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "structure_kind" "public"."leadership_structure_kind" NOT NULL, "code" character varying(40) NOT NULL, "title" character varying(120) NOT NULL, "rank" integer NOT NULL, "seats" integer NOT NULL, "province_code" character varying(3), CONSTRAINT "CHK_leadership_positions_seats" CHECK ("seats" >= 1), CONSTRAINT "PK_754755a237bd42208827c37f25f" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_b8d087ea16bedf4fcbd042d46f" ON "leadership_positions"  ("structure_kind", "code") ',
    );
    await queryRunner.query(
      'CREATE TABLE "leadership_structures" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "kind" "public"."leadership_structure_kind" NOT NULL, "area_code" character varying(8) NOT NULL, "name" character varying(200) NOT NULL, "province_code" character varying(3), "district_code" character varying(8), "municipality_code" character varying(8), "ward_code" character varying(8), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_95c30b5b504c9616c299610438c" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_d7200324bde187126fd10d383b" ON "leadership_structures"  ("province_code", "district_code", "municipality_code", "ward_code") ',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_1d1b6f37c1554be0d9c7535840" ON "leadership_structures"  ("kind", "area_code") ',
    );
    await queryRunner.query(
      "CREATE TYPE \"public\".\"leadership_appointment_kind\" AS ENUM('elected', 'appointed', 'acting', 'co_opted')",
    );
    await queryRunner.query(
      "CREATE TYPE \"public\".\"leadership_end_reason\" AS ENUM('term_ended', 'resigned', 'removed', 'deceased', 'redeployed', 'disqualified', 'other')",
    );
    // The database's guarantees: one holder per single-holder position on any date, and one position per member
    // per structure on any date (exclusion constraints over daterange(starts_on, ends_on, '[)')). Structures and
    // positions are seeded after the geography (seedLeadership), not here: on a fresh database there are no wards yet.
    await queryRunner.query(
      'CREATE TABLE "leadership_appointments" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "structure_id" uuid NOT NULL, "position_id" uuid NOT NULL, "member_id" uuid NOT NULL, "kind" "public"."leadership_appointment_kind" NOT NULL, "single_holder" boolean NOT NULL, "starts_on" date NOT NULL, "ends_on" date, "end_reason" "public"."leadership_end_reason", "note" character varying(500), "end_note" character varying(500), "appointed_by" uuid, "ended_by" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "CHK_leadership_appointments_dates" CHECK ("ends_on" IS NULL OR "ends_on" >= "starts_on"), CONSTRAINT "EX_leadership_appointments_member_per_structure" EXCLUDE USING gist ("structure_id" WITH =, "member_id" WITH =, daterange("starts_on", "ends_on", \'[)\') WITH &&), CONSTRAINT "EX_leadership_appointments_single_holder" EXCLUDE USING gist ("structure_id" WITH =, "position_id" WITH =, daterange("starts_on", "ends_on", \'[)\') WITH &&) WHERE ("single_holder"), CONSTRAINT "PK_bea2aec0a350af088554d902a01" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_5fafccc6f4176b98e62d51b515" ON "leadership_appointments"  ("member_id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_f5e6f93142135e1707f4197cef" ON "leadership_appointments"  ("structure_id", "position_id") ',
    );
    await queryRunner.query(
      'ALTER TABLE "leadership_appointments" ADD CONSTRAINT "FK_9ffcd67c29aa32f9ea8ebb61fe0" FOREIGN KEY ("structure_id") REFERENCES "leadership_structures"("id") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "leadership_appointments" ADD CONSTRAINT "FK_c4c6be641e5a4fe1a74b8727a81" FOREIGN KEY ("position_id") REFERENCES "leadership_positions"("id") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "leadership_appointments" ADD CONSTRAINT "FK_5fafccc6f4176b98e62d51b515a" FOREIGN KEY ("member_id") REFERENCES "members"("id") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "leadership_appointments" DROP CONSTRAINT "FK_5fafccc6f4176b98e62d51b515a"',
    );
    await queryRunner.query(
      'ALTER TABLE "leadership_appointments" DROP CONSTRAINT "FK_c4c6be641e5a4fe1a74b8727a81"',
    );
    await queryRunner.query(
      'ALTER TABLE "leadership_appointments" DROP CONSTRAINT "FK_9ffcd67c29aa32f9ea8ebb61fe0"',
    );
    await queryRunner.query('DROP INDEX "public"."IDX_f5e6f93142135e1707f4197cef"');
    await queryRunner.query('DROP INDEX "public"."IDX_5fafccc6f4176b98e62d51b515"');
    await queryRunner.query('DROP TABLE "leadership_appointments"');
    await queryRunner.query('DROP TYPE "public"."leadership_end_reason"');
    await queryRunner.query('DROP TYPE "public"."leadership_appointment_kind"');
    await queryRunner.query('DROP INDEX "public"."IDX_1d1b6f37c1554be0d9c7535840"');
    await queryRunner.query('DROP INDEX "public"."IDX_d7200324bde187126fd10d383b"');
    await queryRunner.query('DROP TABLE "leadership_structures"');
    await queryRunner.query('DROP INDEX "public"."IDX_b8d087ea16bedf4fcbd042d46f"');
    await queryRunner.query('DROP TABLE "leadership_positions"');
    await queryRunner.query('DROP TYPE "public"."leadership_structure_kind"');
  }
}
