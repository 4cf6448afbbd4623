import { MigrationInterface, QueryRunner } from 'typeorm';

export class Members1795561454521 implements MigrationInterface {
  name = 'Members1795561454521';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE TYPE "public"."gender" AS ENUM(\'female\', \'male\')');
    await queryRunner.query(
      'CREATE TYPE "public"."citizenship" AS ENUM(\'citizen\', \'permanent_resident\')',
    );
    await queryRunner.query(
      "CREATE TYPE \"public\".\"member_status\" AS ENUM('pending', 'active', 'grace_period', 'expired', 'suspended', 'cancelled', 'deceased')",
    );
    await queryRunner.query(
      'CREATE TABLE "members" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "membership_number" character varying(20) NOT NULL, "id_number" character(13) NOT NULL, "first_names" character varying(100) NOT NULL, "surname" character varying(100) NOT NULL, "date_of_birth" date NOT NULL, "gender" "public"."gender" NOT NULL, "citizenship" "public"."citizenship" NOT NULL, "cell_number" character varying(16), "email" character varying(254), "residential_address" character varying(300), "ward_code" character varying(8) NOT NULL, "municipality_code" character varying(8) NOT NULL, "district_code" character varying(8) NOT NULL, "province_code" character varying(3) NOT NULL, "status" "public"."member_status" NOT NULL, "joined_on" date NOT NULL, "last_paid_on" date, "expires_on" date, "consent_given_at" TIMESTAMP WITH TIME ZONE, "contact_objected_at" TIMESTAMP WITH TIME ZONE, "anonymised_at" TIMESTAMP WITH TIME ZONE, "created_by" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "version" integer NOT NULL, CONSTRAINT "PK_28b53062261b996d9c99fa12404" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_34d3394d3433f01f184f0a70c5" ON "members"  ("membership_number") ',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_5162bc470302e83f7c8516012f" ON "members"  ("id_number") ',
    );
    await queryRunner.query(
      "CREATE TYPE \"public\".\"application_status\" AS ENUM('draft', 'submitted', 'under_review', 'approved', 'rejected')",
    );
    await queryRunner.query(
      'CREATE TABLE "membership_applications" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "status" "public"."application_status" NOT NULL, "id_number" character(13) NOT NULL, "first_names" character varying(100) NOT NULL, "surname" character varying(100) NOT NULL, "date_of_birth" date NOT NULL, "gender" "public"."gender" NOT NULL, "citizenship" "public"."citizenship" NOT NULL, "cell_number" character varying(16), "email" character varying(254), "residential_address" character varying(300), "ward_code" character varying(8) NOT NULL, "municipality_code" character varying(8) NOT NULL, "district_code" character varying(8) NOT NULL, "province_code" character varying(3) NOT NULL, "consent_given_at" TIMESTAMP WITH TIME ZONE NOT NULL, "submitted_at" TIMESTAMP WITH TIME ZONE, "reviewed_by" uuid, "reviewed_at" TIMESTAMP WITH TIME ZONE, "decided_by" uuid, "decided_at" TIMESTAMP WITH TIME ZONE, "rejection_reason" character varying(500), "member_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "version" integer NOT NULL, CONSTRAINT "PK_6df1e0ca72e330af40714d59e95" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_c0c488cc17a3f9fdf662a812cb" ON "membership_applications"  ("member_id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_6d87120a2040c2e9aa410ae266" ON "membership_applications"  ("id_number") ',
    );
    // Membership numbers: EFF + year joined + a zero-padded number from one sequence, assigned by the database
    // so concurrent inserts (and COPY) can never collide.
    await queryRunner.query('CREATE SEQUENCE "membership_number_seq" AS bigint START 1');
    await queryRunner.query(`
      CREATE FUNCTION assign_membership_number() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.membership_number IS NULL THEN
          NEW.membership_number := 'EFF' || to_char(NEW.joined_on, 'YYYY')
            || lpad(nextval('membership_number_seq')::text, 7, '0');
        END IF;
        RETURN NEW;
      END $$`);
    await queryRunner.query(
      'CREATE TRIGGER "members_assign_membership_number" BEFORE INSERT ON "members" FOR EACH ROW EXECUTE FUNCTION assign_membership_number()',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."IDX_6d87120a2040c2e9aa410ae266"');
    await queryRunner.query('DROP INDEX "public"."IDX_c0c488cc17a3f9fdf662a812cb"');
    await queryRunner.query('DROP TRIGGER "members_assign_membership_number" ON "members"');
    await queryRunner.query('DROP FUNCTION assign_membership_number()');
    await queryRunner.query('DROP SEQUENCE "membership_number_seq"');
    await queryRunner.query('DROP TABLE "membership_applications"');
    await queryRunner.query('DROP TYPE "public"."application_status"');
    await queryRunner.query('DROP INDEX "public"."IDX_5162bc470302e83f7c8516012f"');
    await queryRunner.query('DROP INDEX "public"."IDX_34d3394d3433f01f184f0a70c5"');
    await queryRunner.query('DROP TABLE "members"');
    await queryRunner.query('DROP TYPE "public"."member_status"');
    await queryRunner.query('DROP TYPE "public"."citizenship"');
    await queryRunner.query('DROP TYPE "public"."gender"');
  }
}
