import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * libs/cards: issued membership cards, and the trigger that revokes a member's cards in the transaction of the
 * change that makes them invalid (status away from Active / Grace Period, or a transfer), whichever code path makes
 * it: admin actions, the daily status recalculation (set-based), imports, approved transfer requests.
 */
export class MembershipCards1795910000000 implements MigrationInterface {
  name = 'MembershipCards1795910000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "membership_cards" (
        "serial" bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
        "member_id" uuid NOT NULL,
        "kid" character varying(64) NOT NULL,
        "issued_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "expires_on" date NOT NULL,
        "valid_until" TIMESTAMP WITH TIME ZONE NOT NULL,
        "member_status" character varying(20) NOT NULL,
        "ward_code" character varying(8) NOT NULL,
        "issued_by" uuid,
        "revoked_at" TIMESTAMP WITH TIME ZONE,
        "revocation" character varying(20),
        "reason" character varying(300),
        "revoked_by" uuid,
        CONSTRAINT "PK_membership_cards" PRIMARY KEY ("serial")
      )`);
    await queryRunner.query(
      'CREATE INDEX "IDX_membership_cards_member" ON "membership_cards" ("member_id", "issued_at")',
    );
    await queryRunner.query(`
      CREATE FUNCTION revoke_membership_cards() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE membership_cards
           SET revoked_at = now(),
               revocation = CASE
                 WHEN NEW.ward_code IS DISTINCT FROM OLD.ward_code THEN 'transfer'
                 WHEN NEW.status = 'expired' THEN 'expired'
                 ELSE 'status' END,
               reason = CASE
                 WHEN NEW.ward_code IS DISTINCT FROM OLD.ward_code THEN 'transferred to ward ' || NEW.ward_code
                 ELSE 'status ' || NEW.status::text END
         WHERE member_id = NEW.id AND revoked_at IS NULL;
        RETURN NULL;
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER members_revoke_cards
        AFTER UPDATE OF status, ward_code ON members
        FOR EACH ROW
        WHEN (OLD.ward_code IS DISTINCT FROM NEW.ward_code
              OR (OLD.status IS DISTINCT FROM NEW.status
                  AND NEW.status NOT IN ('active', 'grace_period')))
        EXECUTE FUNCTION revoke_membership_cards()`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TRIGGER members_revoke_cards ON members');
    await queryRunner.query('DROP FUNCTION revoke_membership_cards()');
    await queryRunner.query('DROP TABLE "membership_cards"');
  }
}
