import { MigrationInterface, QueryRunner } from 'typeorm';

/** libs/portal: members' transfer requests (destination admins decide) and renewal intents (no card gateway). */
export class PortalTransfers1795920000000 implements MigrationInterface {
  name = 'PortalTransfers1795920000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "renewal_intents" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "member_id" uuid NOT NULL, "amount_cents" integer NOT NULL, "requested_by" uuid NOT NULL, "ward_code" character varying(8) NOT NULL, "municipality_code" character varying(8) NOT NULL, "district_code" character varying(8) NOT NULL, "province_code" character varying(3) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_cf45854a62f0dbc0f3a21e8efbb" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_renewal_intents_province_code" ON "renewal_intents"  ("province_code", "created_at") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_renewal_intents_ward_code" ON "renewal_intents"  ("ward_code", "created_at") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_renewal_intents_member" ON "renewal_intents"  ("member_id", "created_at") ',
    );
    await queryRunner.query(
      "CREATE TYPE \"public\".\"transfer_request_status\" AS ENUM('pending', 'approved', 'rejected', 'cancelled')",
    );
    await queryRunner.query(
      'CREATE TABLE "member_transfer_requests" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "member_id" uuid NOT NULL, "status" "public"."transfer_request_status" NOT NULL DEFAULT \'pending\', "reason" character varying(500) NOT NULL, "decision_reason" character varying(500), "from_ward_code" character varying(8) NOT NULL, "from_municipality_code" character varying(8) NOT NULL, "from_district_code" character varying(8) NOT NULL, "from_province_code" character varying(3) NOT NULL, "ward_code" character varying(8) NOT NULL, "municipality_code" character varying(8) NOT NULL, "district_code" character varying(8) NOT NULL, "province_code" character varying(3) NOT NULL, "requested_by" uuid NOT NULL, "decided_by" uuid, "decided_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "CHK_member_transfer_requests_rejection" CHECK ("status" <> \'rejected\' OR "decision_reason" IS NOT NULL), CONSTRAINT "PK_d5b0994aa9d71a94d9f21ef2624" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_member_transfer_requests_from_ward" ON "member_transfer_requests"  ("from_ward_code", "status", "created_at", "id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_member_transfer_requests_from_province" ON "member_transfer_requests"  ("from_province_code", "status", "created_at", "id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_member_transfer_requests_ward_code" ON "member_transfer_requests"  ("ward_code", "status", "created_at", "id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_member_transfer_requests_province_code" ON "member_transfer_requests"  ("province_code", "status", "created_at", "id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_member_transfer_requests_member" ON "member_transfer_requests"  ("member_id", "created_at") ',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "UQ_member_transfer_requests_pending" ON "member_transfer_requests"  ("member_id") WHERE "status" = \'pending\'',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."UQ_member_transfer_requests_pending"');
    await queryRunner.query('DROP INDEX "public"."IDX_member_transfer_requests_member"');
    await queryRunner.query('DROP INDEX "public"."IDX_member_transfer_requests_province_code"');
    await queryRunner.query('DROP INDEX "public"."IDX_member_transfer_requests_ward_code"');
    await queryRunner.query('DROP INDEX "public"."IDX_member_transfer_requests_from_province"');
    await queryRunner.query('DROP INDEX "public"."IDX_member_transfer_requests_from_ward"');
    await queryRunner.query('DROP TABLE "member_transfer_requests"');
    await queryRunner.query('DROP TYPE "public"."transfer_request_status"');
    await queryRunner.query('DROP INDEX "public"."IDX_renewal_intents_member"');
    await queryRunner.query('DROP INDEX "public"."IDX_renewal_intents_ward_code"');
    await queryRunner.query('DROP INDEX "public"."IDX_renewal_intents_province_code"');
    await queryRunner.query('DROP TABLE "renewal_intents"');
  }
}
