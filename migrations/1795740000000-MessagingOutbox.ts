import { MigrationInterface, QueryRunner } from 'typeorm';

export class MessagingOutbox1795740000000 implements MigrationInterface {
  name = 'MessagingOutbox1795740000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "messaging_outbox" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "channel" text NOT NULL,
        "kind" text NOT NULL,
        "recipient" text NOT NULL,
        "subject" text,
        "body" text NOT NULL,
        "status" text NOT NULL DEFAULT 'queued',
        "attempts" integer NOT NULL DEFAULT 0,
        "next_attempt_at" timestamptz NOT NULL DEFAULT now(),
        "lease_until" timestamptz,
        "provider_message_id" text,
        "last_error" text,
        "recipient_user_id" uuid,
        "recipient_member_id" uuid,
        "province_code" text,
        "district_code" text,
        "municipality_code" text,
        "ward_code" text,
        "sent_at" timestamptz,
        "delivered_at" timestamptz,
        "failed_at" timestamptz,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "PK_messaging_outbox" PRIMARY KEY ("id"),
        CONSTRAINT "CHK_messaging_outbox_channel" CHECK ("channel" IN ('email', 'sms')),
        CONSTRAINT "CHK_messaging_outbox_status"
          CHECK ("status" IN ('queued', 'sending', 'sent', 'delivered', 'failed'))
      )`);
    await queryRunner.query(
      `CREATE INDEX "IDX_messaging_outbox_due" ON "messaging_outbox" ("next_attempt_at")
         WHERE "status" IN ('queued', 'sending')`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_messaging_outbox_provider_id" ON "messaging_outbox" ("channel", "provider_message_id")
         WHERE "provider_message_id" IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_messaging_outbox_area" ON "messaging_outbox" ("province_code", "district_code", "municipality_code", "ward_code")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "messaging_outbox"');
  }
}
