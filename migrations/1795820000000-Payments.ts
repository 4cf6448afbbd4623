import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * libs/payments: payments of members (renewals) and applications (joining fees), the finance_officer role and
 * the member history kind `payment`. References are unique per method and provider (a DB constraint: a repeat
 * is 409); a gateway's own transaction id is unique per provider (a replayed notification finds it).
 */
export class Payments1795820000000 implements MigrationInterface {
  name = 'Payments1795820000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TYPE "public"."user_role" ADD VALUE IF NOT EXISTS 'finance_officer'`,
    );
    await queryRunner.query(
      `ALTER TYPE "public"."member_history_kind" ADD VALUE IF NOT EXISTS 'payment'`,
    );
    await queryRunner.query(
      `CREATE TYPE "public"."payment_method" AS ENUM('cash', 'eft', 'card', 'external')`,
    );
    await queryRunner.query(
      `CREATE TYPE "public"."payment_status" AS ENUM('pending', 'verified', 'rejected')`,
    );
    await queryRunner.query(`
      CREATE TABLE "payments" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "member_id" uuid,
        "application_id" uuid,
        "method" "public"."payment_method" NOT NULL,
        "provider" character varying(32) NOT NULL,
        "reference" character varying(64) NOT NULL,
        "provider_payment_id" character varying(64),
        "amount_cents" integer NOT NULL,
        "paid_on" date,
        "status" "public"."payment_status" NOT NULL DEFAULT 'pending',
        "rejection_reason" character varying(500),
        "note" character varying(500),
        "recorded_by" uuid,
        "decided_by" uuid,
        "decided_via" character varying(16),
        "decided_at" timestamptz,
        "renewal_id" uuid,
        "ward_code" character varying(8) NOT NULL,
        "municipality_code" character varying(8) NOT NULL,
        "district_code" character varying(8) NOT NULL,
        "province_code" character varying(3) NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "PK_payments" PRIMARY KEY ("id"),
        CONSTRAINT "CHK_payments_subject" CHECK (("member_id" IS NULL) <> ("application_id" IS NULL)),
        CONSTRAINT "CHK_payments_amount" CHECK ("amount_cents" > 0),
        CONSTRAINT "CHK_payments_rejection" CHECK ("status" <> 'rejected' OR "rejection_reason" IS NOT NULL),
        CONSTRAINT "UQ_payments_reference" UNIQUE ("method", "provider", "reference"),
        CONSTRAINT "UQ_payments_provider_payment" UNIQUE ("provider", "provider_payment_id")
      )`);
    await queryRunner.query(
      'CREATE INDEX "IDX_payments_member" ON "payments" ("member_id", "created_at")',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_payments_application" ON "payments" ("application_id")',
    );
    for (const column of ['province_code', 'district_code', 'municipality_code', 'ward_code'])
      await queryRunner.query(
        `CREATE INDEX "IDX_payments_${column}" ON "payments" ("${column}", "status", "created_at", "id")`,
      );
    await queryRunner.query(
      'CREATE INDEX "IDX_payments_status" ON "payments" ("status", "created_at", "id")',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "payments"');
    await queryRunner.query('DROP TYPE "public"."payment_status"');
    await queryRunner.query('DROP TYPE "public"."payment_method"');
    // Enum values (user_role finance_officer, member_history_kind payment) cannot be dropped in PostgreSQL.
  }
}
