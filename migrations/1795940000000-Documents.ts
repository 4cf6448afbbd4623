import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The document store (stored_documents: one row per file kept in DOCUMENTS_DIR) and its two users: payment
 * receipts (one per payment) and versioned meeting documents (agenda, minutes, decisions).
 */
export class Documents1795940000000 implements MigrationInterface {
  name = 'Documents1795940000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      "CREATE TYPE \"public\".\"document_media_type\" AS ENUM('application/pdf', 'image/jpeg', 'image/png')",
    );
    await queryRunner.query(
      'CREATE TABLE "stored_documents" ("id" uuid NOT NULL, "sha256" character(64) NOT NULL, "size_bytes" integer NOT NULL, "media_type" "public"."document_media_type" NOT NULL, "original_name" character varying(255) NOT NULL, "created_by" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "CHK_stored_documents_size" CHECK ("size_bytes" > 0), CONSTRAINT "CHK_stored_documents_sha256" CHECK ("sha256" ~ \'^[0-9a-f]{64}$\'), CONSTRAINT "PK_3d871a77567258ff537cb26d6f4" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_stored_documents_sha256" ON "stored_documents"  ("sha256") ',
    );
    await queryRunner.query(
      "CREATE TYPE \"public\".\"meeting_document_kind\" AS ENUM('agenda', 'minutes', 'decisions')",
    );
    await queryRunner.query(
      'CREATE TABLE "branch_meeting_documents" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "meeting_id" uuid NOT NULL, "kind" "public"."meeting_document_kind" NOT NULL, "version" integer NOT NULL, "document_id" uuid NOT NULL, "uploaded_by" uuid, "uploaded_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_branch_meeting_documents_version" UNIQUE ("meeting_id", "kind", "version"), CONSTRAINT "PK_a23f84bd2134ca32ce233531bb4" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "UQ_branch_meeting_documents_document" ON "branch_meeting_documents"  ("document_id") ',
    );
    await queryRunner.query(
      'CREATE TABLE "payment_receipts" ("payment_id" uuid NOT NULL, "document_id" uuid NOT NULL, "attached_by" uuid, "attached_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_07cd2270867e279ab2817785882" PRIMARY KEY ("payment_id"))',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "UQ_payment_receipts_document" ON "payment_receipts"  ("document_id") ',
    );
    await queryRunner.query(
      'ALTER TABLE "branch_meeting_documents" ADD CONSTRAINT "FK_cee791121b727060dedb9ec6df8" FOREIGN KEY ("meeting_id") REFERENCES "branch_meetings"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "branch_meeting_documents" ADD CONSTRAINT "FK_ba644c1f15558e270b33b5a97e8" FOREIGN KEY ("document_id") REFERENCES "stored_documents"("id") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "payment_receipts" ADD CONSTRAINT "FK_07cd2270867e279ab2817785882" FOREIGN KEY ("payment_id") REFERENCES "payments"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "payment_receipts" ADD CONSTRAINT "FK_d043a0d66ad8b55a1a97dc914bd" FOREIGN KEY ("document_id") REFERENCES "stored_documents"("id") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "payment_receipts" DROP CONSTRAINT "FK_d043a0d66ad8b55a1a97dc914bd"',
    );
    await queryRunner.query(
      'ALTER TABLE "payment_receipts" DROP CONSTRAINT "FK_07cd2270867e279ab2817785882"',
    );
    await queryRunner.query(
      'ALTER TABLE "branch_meeting_documents" DROP CONSTRAINT "FK_ba644c1f15558e270b33b5a97e8"',
    );
    await queryRunner.query(
      'ALTER TABLE "branch_meeting_documents" DROP CONSTRAINT "FK_cee791121b727060dedb9ec6df8"',
    );
    await queryRunner.query('DROP INDEX "public"."UQ_payment_receipts_document"');
    await queryRunner.query('DROP TABLE "payment_receipts"');
    await queryRunner.query('DROP INDEX "public"."UQ_branch_meeting_documents_document"');
    await queryRunner.query('DROP TABLE "branch_meeting_documents"');
    await queryRunner.query('DROP TYPE "public"."meeting_document_kind"');
    await queryRunner.query('DROP INDEX "public"."IDX_stored_documents_sha256"');
    await queryRunner.query('DROP TABLE "stored_documents"');
    await queryRunner.query('DROP TYPE "public"."document_media_type"');
  }
}
