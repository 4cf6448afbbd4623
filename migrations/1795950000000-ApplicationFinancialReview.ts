import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Two-tier application approval (#20): the status `financial_review` (the joining fee is verified and a finance
 * officer reviewed it; waiting for the final approval), who reviewed it, when, and the verified payment reviewed.
 * An index on payments for the renewals import's duplicate-reference lookups is not needed: UQ_payments_reference
 * already covers (method, provider, reference).
 */
export class ApplicationFinancialReview1795950000000 implements MigrationInterface {
  name = 'ApplicationFinancialReview1795950000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TYPE "public"."application_status" ADD VALUE IF NOT EXISTS 'financial_review' AFTER 'under_review'`,
    );
    await queryRunner.query(`
      ALTER TABLE "membership_applications"
        ADD COLUMN "financial_reviewed_by" uuid,
        ADD COLUMN "financial_reviewed_at" timestamptz,
        ADD COLUMN "financial_review_payment_id" uuid`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE "membership_applications"
        DROP COLUMN "financial_review_payment_id",
        DROP COLUMN "financial_reviewed_at",
        DROP COLUMN "financial_reviewed_by"`);
    // An enum value (application_status financial_review) cannot be dropped in PostgreSQL.
  }
}
