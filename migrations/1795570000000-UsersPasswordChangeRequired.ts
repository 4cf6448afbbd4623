import { MigrationInterface, QueryRunner } from 'typeorm';

export class UsersPasswordChangeRequired1795570000000 implements MigrationInterface {
  name = 'UsersPasswordChangeRequired1795570000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "users" ADD "password_change_required" boolean NOT NULL DEFAULT false',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "users" DROP COLUMN "password_change_required"');
  }
}
