import { MigrationInterface, QueryRunner } from 'typeorm';

const FUNCTION = (
  withPayments: boolean,
): string => `CREATE OR REPLACE FUNCTION erase_audit_changes(p_member_id uuid, p_event_id uuid, p_changes jsonb)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_id_number text;
  v_rows integer;
BEGIN
  SELECT id_number INTO v_id_number FROM members WHERE id = p_member_id AND anonymised_at IS NOT NULL;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'member % is not erased', p_member_id USING ERRCODE = 'insufficient_privilege';
  END IF;
  PERFORM set_config('eff.audit_rewrite', 'on', true);
  UPDATE audit_events SET changes = p_changes
   WHERE id = p_event_id
     AND action <> 'member.erased'
     AND (entity_id = p_member_id::text
          OR entity_id IN (SELECT a.id::text FROM membership_applications a WHERE a.id_number = v_id_number)
          OR entity_id IN (SELECT l.id::text FROM leadership_appointments l WHERE l.member_id = p_member_id)${
            withPayments
              ? `
          OR entity_id IN (SELECT p.id::text FROM payments p
                            WHERE p.member_id = p_member_id
                               OR p.application_id IN (SELECT a.id FROM membership_applications a
                                                        WHERE a.id_number = v_id_number))`
              : ''
          }
          OR (action = 'members.listed' AND entity_id IS NULL AND changes -> 'ids' ? p_member_id::text));
  GET DIAGNOSTICS v_rows = ROW_COUNT;
  PERFORM set_config('eff.audit_rewrite', 'off', true);
  IF v_rows <> 1 THEN
    RAISE EXCEPTION 'audit event % is not about member %', p_event_id, p_member_id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
END $$`;

/**
 * POPIA erasure also rewrites the audit diffs of the erased member's payments (payment.recorded|verified|rejected
 * carry the reference, which may name the depositor). CREATE OR REPLACE keeps the function's owner and grants.
 */
export class ErasePaymentAuditChanges1795930000000 implements MigrationInterface {
  name = 'ErasePaymentAuditChanges1795930000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(FUNCTION(true));
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(FUNCTION(false));
  }
}
