import { MigrationInterface, QueryRunner } from 'typeorm';

export class Audit1795492120654 implements MigrationInterface {
  name = 'Audit1795492120654';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
    await queryRunner.query('CREATE EXTENSION IF NOT EXISTS btree_gist');
    await queryRunner.query(
      'CREATE TABLE "audit_events" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "actor_user_id" uuid, "action" character varying(60) NOT NULL, "entity_type" character varying(40) NOT NULL, "entity_id" character varying(64), "changes" jsonb, "request_id" character varying(64), "ip" character varying(64), "province_code" character varying(3), CONSTRAINT "PK_910f64d901a5c3e9878f0d4a407" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_8fe0b42aed0fd412a5247d3606" ON "audit_events"  ("province_code") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_4c92c59e84774f24943f0a5db1" ON "audit_events"  ("actor_user_id", "occurred_at") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_1c7d4879956fd96c1c280634f0" ON "audit_events"  ("entity_type", "entity_id", "occurred_at") ',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."IDX_1c7d4879956fd96c1c280634f0"');
    await queryRunner.query('DROP INDEX "public"."IDX_4c92c59e84774f24943f0a5db1"');
    await queryRunner.query('DROP INDEX "public"."IDX_8fe0b42aed0fd412a5247d3606"');
    await queryRunner.query('DROP TABLE "audit_events"');
  }
}
