import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * TOTP for admins: the encrypted secret and last accepted time step per user, hashed single-use recovery codes,
 * single-use sign-in challenges, and the first sign-in that starts the enrolment grace period.
 */
export class UserMfa1795800000000 implements MigrationInterface {
  name = 'UserMfa1795800000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "users" ADD "first_login_at" timestamptz');
    await queryRunner.query(`
      CREATE TABLE "user_mfa" (
        "user_id" uuid NOT NULL,
        "secret_ciphertext" text NOT NULL,
        "enabled_at" timestamptz,
        "last_used_step" bigint,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "PK_user_mfa" PRIMARY KEY ("user_id")
      )`);
    await queryRunner.query(`
      CREATE TABLE "mfa_recovery_codes" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL,
        "code_hash" text NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "used_at" timestamptz,
        CONSTRAINT "PK_mfa_recovery_codes" PRIMARY KEY ("id"),
        CONSTRAINT "UQ_mfa_recovery_codes_hash" UNIQUE ("user_id", "code_hash")
      )`);
    await queryRunner.query(`
      CREATE TABLE "mfa_challenges" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL,
        "token_hash" text NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "expires_at" timestamptz NOT NULL,
        "used_at" timestamptz,
        CONSTRAINT "PK_mfa_challenges" PRIMARY KEY ("id"),
        CONSTRAINT "UQ_mfa_challenges_hash" UNIQUE ("token_hash")
      )`);
    await queryRunner.query(
      'CREATE INDEX "IDX_mfa_challenges_user" ON "mfa_challenges" ("user_id", "created_at")',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "mfa_challenges"');
    await queryRunner.query('DROP TABLE "mfa_recovery_codes"');
    await queryRunner.query('DROP TABLE "user_mfa"');
    await queryRunner.query('ALTER TABLE "users" DROP COLUMN "first_login_at"');
  }
}
