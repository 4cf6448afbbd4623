import { MigrationInterface, QueryRunner } from 'typeorm';

export class MessagingCampaigns1795810000000 implements MigrationInterface {
  name = 'MessagingCampaigns1795810000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "messaging_campaigns" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "template_id" uuid NOT NULL, "channel" text NOT NULL, "subject" character varying(200), "body" text NOT NULL, "audience" jsonb NOT NULL, "variables" jsonb NOT NULL DEFAULT \'{}\', "status" text NOT NULL DEFAULT \'draft\', "recipient_count" integer NOT NULL, "queued_count" integer, "province_code" text, "district_code" text, "municipality_code" text, "ward_code" text, "created_by" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "sent_by" uuid, "sent_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "CHK_messaging_campaigns_status" CHECK ("status" IN (\'draft\', \'queued\')), CONSTRAINT "CHK_messaging_campaigns_channel" CHECK ("channel" IN (\'email\', \'sms\')), CONSTRAINT "PK_662b194cd3d0ce5dfbb52a32843" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_messaging_campaigns_sender" ON "messaging_campaigns"  ("sent_by", "sent_at") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_messaging_campaigns_area" ON "messaging_campaigns"  ("province_code", "district_code", "municipality_code", "ward_code") ',
    );
    await queryRunner.query(
      'CREATE TABLE "messaging_templates" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "name" character varying(100) NOT NULL, "channel" text NOT NULL, "subject" character varying(200), "body" text NOT NULL, "province_code" text, "district_code" text, "municipality_code" text, "ward_code" text, "created_by" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "version" integer NOT NULL, CONSTRAINT "CHK_messaging_templates_channel" CHECK ("channel" IN (\'email\', \'sms\')), CONSTRAINT "PK_36ed8e80c16960181840bd1bdb9" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_messaging_templates_area" ON "messaging_templates"  ("province_code", "district_code", "municipality_code", "ward_code") ',
    );
    await queryRunner.query('ALTER TABLE "messaging_outbox" ADD "campaign_id" uuid');
    await queryRunner.query('ALTER TABLE "messaging_outbox" ADD "idempotency_key" text');
    await queryRunner.query(
      'ALTER TABLE "messaging_outbox" ADD "body_purged_at" TIMESTAMP WITH TIME ZONE',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_messaging_outbox_campaign" ON "messaging_outbox"  ("campaign_id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_messaging_outbox_member" ON "messaging_outbox"  ("recipient_member_id") ',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "UQ_messaging_outbox_idempotency_key" ON "messaging_outbox"  ("idempotency_key") ',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."UQ_messaging_outbox_idempotency_key"');
    await queryRunner.query('DROP INDEX "public"."IDX_messaging_outbox_member"');
    await queryRunner.query('DROP INDEX "public"."IDX_messaging_outbox_campaign"');
    await queryRunner.query('ALTER TABLE "messaging_outbox" DROP COLUMN "body_purged_at"');
    await queryRunner.query('ALTER TABLE "messaging_outbox" DROP COLUMN "idempotency_key"');
    await queryRunner.query('ALTER TABLE "messaging_outbox" DROP COLUMN "campaign_id"');
    await queryRunner.query('DROP INDEX "public"."IDX_messaging_templates_area"');
    await queryRunner.query('DROP TABLE "messaging_templates"');
    await queryRunner.query('DROP INDEX "public"."IDX_messaging_campaigns_area"');
    await queryRunner.query('DROP INDEX "public"."IDX_messaging_campaigns_sender"');
    await queryRunner.query('DROP TABLE "messaging_campaigns"');
  }
}
