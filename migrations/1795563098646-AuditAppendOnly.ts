import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * audit_events is append-only: UPDATE, DELETE and TRUNCATE raise. A deliberate, reviewed rewrite (e.g. POPIA
 * anonymisation) runs in a transaction that first does `SET LOCAL eff.audit_rewrite = 'on'`.
 */
export class AuditAppendOnly1795563098646 implements MigrationInterface {
  name = 'AuditAppendOnly1795563098646';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('eff.audit_rewrite', true), '') = 'on' THEN
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  END IF;
  RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$`);
    await queryRunner.query(
      'CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()',
    );
    await queryRunner.query(
      'CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TRIGGER audit_events_no_truncate ON audit_events');
    await queryRunner.query('DROP TRIGGER audit_events_no_change ON audit_events');
    await queryRunner.query('DROP FUNCTION audit_events_append_only()');
  }
}
