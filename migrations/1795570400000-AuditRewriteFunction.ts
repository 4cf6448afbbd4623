import { MigrationInterface, QueryRunner } from 'typeorm';

const APPEND_ONLY_BEFORE = `CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('eff.audit_rewrite', true), '') = 'on' THEN
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  END IF;
  RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$`;

/**
 * The erasure rewrite of audit_events moves into erase_audit_changes(), a SECURITY DEFINER function owned by the
 * schema owner. The trigger now lets an UPDATE through only when the rewrite flag is set by a role holding the
 * table owner's rights (that function, or the owner itself): the app role (eff_app) can no longer set the flag
 * and rewrite or delete audit rows. It also loses UPDATE, DELETE and TRUNCATE on audit_events outright.
 */
export class AuditRewriteFunction1795570400000 implements MigrationInterface {
  name = 'AuditRewriteFunction1795570400000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE'
     AND coalesce(current_setting('eff.audit_rewrite', true), '') = 'on'
     AND pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE') THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$`);
    // Rewrites the diff of one audit event about an erased member (its own, its applications', its
    // appointments', list pages that showed it; never the erasure record itself) and nothing else.
    await queryRunner.query(`CREATE FUNCTION erase_audit_changes(p_member_id uuid, p_event_id uuid, p_changes jsonb)
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
          OR entity_id IN (SELECT l.id::text FROM leadership_appointments l WHERE l.member_id = p_member_id)
          OR (action = 'members.listed' AND entity_id IS NULL AND changes -> 'ids' ? p_member_id::text));
  GET DIAGNOSTICS v_rows = ROW_COUNT;
  PERFORM set_config('eff.audit_rewrite', 'off', true);
  IF v_rows <> 1 THEN
    RAISE EXCEPTION 'audit event % is not about member %', p_event_id, p_member_id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
END $$`);
    await queryRunner.query(
      'REVOKE ALL ON FUNCTION erase_audit_changes(uuid, uuid, jsonb) FROM PUBLIC',
    );
    // The app role (deploy/docker/postgres-init: every role the owner granted rows to) may call the function and
    // append, never change or remove audit rows.
    await queryRunner.query(`DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT DISTINCT grantee FROM information_schema.role_table_grants
            WHERE table_schema = current_schema() AND table_name = 'audit_events'
              AND grantee NOT IN (current_user, 'PUBLIC')
              AND grantee <> (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'audit_events'::regclass)
  LOOP
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM %I', r.grantee);
    EXECUTE format('GRANT EXECUTE ON FUNCTION erase_audit_changes(uuid, uuid, jsonb) TO %I', r.grantee);
  END LOOP;
END $$`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP FUNCTION erase_audit_changes(uuid, uuid, jsonb)');
    await queryRunner.query(APPEND_ONLY_BEFORE);
  }
}
