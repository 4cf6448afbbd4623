import { MigrationInterface, QueryRunner } from 'typeorm';

/** libs/portal: one-time codes of the member account claim flow (only the code's SHA-256 is stored). */
export class AccountClaims1795840000000 implements MigrationInterface {
  name = 'AccountClaims1795840000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "account_claims" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "member_id" uuid NOT NULL,
        "code_hash" text NOT NULL,
        "attempts" integer NOT NULL DEFAULT 0,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "expires_at" timestamptz NOT NULL,
        "used_at" timestamptz,
        CONSTRAINT "PK_account_claims" PRIMARY KEY ("id")
      )`);
    await queryRunner.query(
      'CREATE INDEX "IDX_account_claims_member" ON "account_claims" ("member_id", "created_at")',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "account_claims"');
  }
}
