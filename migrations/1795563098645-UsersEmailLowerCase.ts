import { MigrationInterface, QueryRunner } from 'typeorm';

export class UsersEmailLowerCase1795563098645 implements MigrationInterface {
  name = 'UsersEmailLowerCase1795563098645';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "users" ADD CONSTRAINT "CHK_users_email_lower_case" CHECK ("email" = lower("email"))',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "users" DROP CONSTRAINT "CHK_users_email_lower_case"');
  }
}
