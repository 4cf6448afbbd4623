import { MigrationInterface, QueryRunner } from 'typeorm';

export class MembersLifecycle1795561751605 implements MigrationInterface {
  name = 'MembersLifecycle1795561751605';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      "CREATE TYPE \"public\".\"member_history_kind\" AS ENUM('created', 'updated', 'status_changed', 'renewed', 'transferred')",
    );
    await queryRunner.query(
      'CREATE TABLE "member_history" ("id" BIGSERIAL NOT NULL, "member_id" uuid NOT NULL, "kind" "public"."member_history_kind" NOT NULL, "from_status" "public"."member_status", "to_status" "public"."member_status", "reason" character varying(500), "details" jsonb, "actor_user_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_e6f27118d911b9c501ba6a147fc" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_adc1e17e48e7dfc68ba5e75877" ON "member_history"  ("member_id", "id") ',
    );
    await queryRunner.query(
      'CREATE TABLE "member_renewals" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "member_id" uuid NOT NULL, "paid_on" date NOT NULL, "amount_cents" integer NOT NULL, "reference" character varying(64) NOT NULL, "previous_expires_on" date, "expires_on" date NOT NULL, "recorded_by" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_cbd8f2ae846472acbf2ef1b4354" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_3719ddacc2058b318d75cd41cc" ON "member_renewals"  ("reference") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_ca4ecfc98feeb6784975c3667e" ON "member_renewals"  ("member_id", "paid_on") ',
    );
    await queryRunner.query(
      'CREATE TABLE "member_transfers" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "member_id" uuid NOT NULL, "from_ward_code" character varying(8) NOT NULL, "from_province_code" character varying(3) NOT NULL, "to_ward_code" character varying(8) NOT NULL, "to_province_code" character varying(3) NOT NULL, "reason" character varying(500), "transferred_by" uuid, "transferred_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_cf39e76ca986e517aa4f398e3cf" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_3be7bf942bd5a6e626b06032a5" ON "member_transfers"  ("member_id", "transferred_at") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_9f870268fcf59a701d4d44c17f" ON "members"  ("cell_number") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_7904d7e89a4a4bfa7056f7b2c3" ON "members"  ("expires_on") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_0e64f36fb23694b9a2c7727052" ON "members"  ("ward_code", "joined_on", "id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_e9ed1e6eb9af5f8a5a370eb023" ON "members"  ("municipality_code", "joined_on", "id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_c4df070e213fe961044106f99b" ON "members"  ("district_code", "joined_on", "id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_ca10b9ed9f235647f2562ac14f" ON "members"  ("province_code", "joined_on", "id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_eeefcfa81595507139002fa8ef" ON "members"  ("joined_on", "id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_492d8fb08354a7f22e3306fadc" ON "members"  ("ward_code", "surname", "id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_924cb29f9a6da486d4f7298b47" ON "members"  ("municipality_code", "surname", "id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_99530761aa6944c7226dad1875" ON "members"  ("district_code", "surname", "id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_46255efb3afeed750a4060328f" ON "members"  ("province_code", "surname", "id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_c68a356d365f218b55137f1f98" ON "members"  ("surname", "id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_30d1dfaebf615c1ac0e73fb569" ON "membership_applications"  ("ward_code", "created_at", "id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_3c57d455edef25e33ed1a329df" ON "membership_applications"  ("municipality_code", "created_at", "id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_88e09788f4a571e3bd5f3901ea" ON "membership_applications"  ("district_code", "created_at", "id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_51f6db9febcd4ff4e820729903" ON "membership_applications"  ("province_code", "created_at", "id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_72cf33362e9008a9cdfe3f0417" ON "membership_applications"  ("created_at", "id") ',
    );
    // Hand-written (declared with synchronize: false on the Member entity): trigram search over names, and the
    // partial index the daily status recalculation scans.
    await queryRunner.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
    await queryRunner.query(
      'CREATE INDEX "members_name_trgm" ON "members" USING gin (lower(first_names || \' \' || surname) gin_trgm_ops)',
    );
    await queryRunner.query(
      'CREATE INDEX "members_recalculation" ON "members" ("expires_on") WHERE status IN (\'active\', \'grace_period\')',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."members_recalculation"');
    await queryRunner.query('DROP INDEX "public"."members_name_trgm"');
    await queryRunner.query('DROP INDEX "public"."IDX_72cf33362e9008a9cdfe3f0417"');
    await queryRunner.query('DROP INDEX "public"."IDX_51f6db9febcd4ff4e820729903"');
    await queryRunner.query('DROP INDEX "public"."IDX_88e09788f4a571e3bd5f3901ea"');
    await queryRunner.query('DROP INDEX "public"."IDX_3c57d455edef25e33ed1a329df"');
    await queryRunner.query('DROP INDEX "public"."IDX_30d1dfaebf615c1ac0e73fb569"');
    await queryRunner.query('DROP INDEX "public"."IDX_c68a356d365f218b55137f1f98"');
    await queryRunner.query('DROP INDEX "public"."IDX_46255efb3afeed750a4060328f"');
    await queryRunner.query('DROP INDEX "public"."IDX_99530761aa6944c7226dad1875"');
    await queryRunner.query('DROP INDEX "public"."IDX_924cb29f9a6da486d4f7298b47"');
    await queryRunner.query('DROP INDEX "public"."IDX_492d8fb08354a7f22e3306fadc"');
    await queryRunner.query('DROP INDEX "public"."IDX_eeefcfa81595507139002fa8ef"');
    await queryRunner.query('DROP INDEX "public"."IDX_ca10b9ed9f235647f2562ac14f"');
    await queryRunner.query('DROP INDEX "public"."IDX_c4df070e213fe961044106f99b"');
    await queryRunner.query('DROP INDEX "public"."IDX_e9ed1e6eb9af5f8a5a370eb023"');
    await queryRunner.query('DROP INDEX "public"."IDX_0e64f36fb23694b9a2c7727052"');
    await queryRunner.query('DROP INDEX "public"."IDX_7904d7e89a4a4bfa7056f7b2c3"');
    await queryRunner.query('DROP INDEX "public"."IDX_9f870268fcf59a701d4d44c17f"');
    await queryRunner.query('DROP INDEX "public"."IDX_3be7bf942bd5a6e626b06032a5"');
    await queryRunner.query('DROP TABLE "member_transfers"');
    await queryRunner.query('DROP INDEX "public"."IDX_ca4ecfc98feeb6784975c3667e"');
    await queryRunner.query('DROP INDEX "public"."IDX_3719ddacc2058b318d75cd41cc"');
    await queryRunner.query('DROP TABLE "member_renewals"');
    await queryRunner.query('DROP INDEX "public"."IDX_adc1e17e48e7dfc68ba5e75877"');
    await queryRunner.query('DROP TABLE "member_history"');
    await queryRunner.query('DROP TYPE "public"."member_history_kind"');
  }
}
