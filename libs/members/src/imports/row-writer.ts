import { Scope, scopeContains, ScopeLevel } from '@app/auth';
import { BatchConnection, BatchContext, ImportFailure, ImportMode } from '@app/files/row-kind';
import { MemberRow, RejectedRow, rejectedPreview } from './import-row.js';
import {
  alreadyMemberReason,
  EXISTING_SQL,
  ExistingMember,
  INSERT_SQL,
  planUpdate,
  PlannedUpdate,
  refusedRow,
} from './import-writes.js';
import { RegistrationConflictSource } from '../entities/registration-conflict.entity.js';
import {
  CANNOT_REGISTER_HERE_REASON,
  conflictLimitReached,
  conflictsInLastDay,
  recordConflicts,
} from '../registration-conflicts/registration-conflicts.js';

/** The job as the row writer needs it. */
export interface WriterJob {
  id: string;
  mode: ImportMode;
  dryRun: boolean;
  uploadedBy: string;
}

/** What a batch of members wrote; `rejected` are accepted rows refused after all (already members …). */
export interface MembersWritten {
  inserted: number;
  updated: number;
  rejected: RejectedRow[];
}

/** What the writer tells the main thread besides the counters (BatchContext.emit): it counts and audits them. */
export type MemberImportEvent =
  | { type: 'conflicts'; recorded: number }
  /**
   * Refused past REGISTRATION_CONFLICT_LIMIT; `attempt` when this batch's rows went past it (the batch rolls back,
   * the attempt stays on record: audited).
   */
  | { type: 'limited'; attempt: { refusedRows: number; limit: number } | null };

/**
 * Upsert changes only a member's editable details: names, contact details and address (a blank cell keeps what is
 * stored; see planUpdate). Never the payment date, expiry or status (a payment is a renewal with a reference),
 * never the ward (moving a member is a transfer). Each changed member gets its history entry and audit event
 * (the masked diff planUpdate computed) in the same statement.
 */
const UPDATE_SQL = `
  WITH u AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
      AS u(id, first_names, surname, cell_number, email, residential_address, changes)),
  upd AS (
    UPDATE members m SET
      first_names = u.first_names,
      surname = u.surname,
      cell_number = u.cell_number,
      email = u.email,
      residential_address = u.residential_address,
      version = m.version + 1,
      updated_at = now()
    FROM u
    WHERE m.id = u.id AND m.anonymised_at IS NULL
    RETURNING m.id, m.province_code, u.changes::jsonb AS changes),
  history AS (
    INSERT INTO member_history (member_id, kind, details, actor_user_id)
    SELECT id, 'updated'::member_history_kind, jsonb_build_object('changes', changes, 'importId', $8::text),
      $9::uuid
    FROM upd),
  audit AS (
    INSERT INTO audit_events (action, entity_type, entity_id, province_code, actor_user_id, changes)
    SELECT 'member.updated', 'member', id::text, province_code, $9::uuid, changes FROM upd)
  SELECT id FROM upd`;

/**
 * Writes one batch's members inside the transaction the engine began (libs/files batch-writer.ts): members (with
 * their history and audit events) and registration conflicts; the engine then adds the rejected rows and the job's
 * counters and commits. The members are written while the previous batch (on the other connection) may still be
 * committing; conflicts are written only once that batch has committed.
 *
 * An ID number that is a member outside the uploader's area (or erased) gets the generic CANNOT_REGISTER_HERE
 * reason and a registration conflict; past REGISTRATION_CONFLICT_LIMIT the job fails.
 */
export async function writeMembers(
  db: BatchConnection,
  job: WriterJob,
  scope: Scope,
  members: MemberRow[],
  context: BatchContext,
  conflictLimit: number,
): Promise<MembersWritten> {
  const emit = (event: MemberImportEvent): void => context.emit(event);
  const national = scope.level === ScopeLevel.National;
  if (
    !national &&
    members.length > 0 &&
    (await conflictsInLastDay(db, job.uploadedBy)) >= conflictLimit
  ) {
    emit({ type: 'limited', attempt: null });
    throw new ImportFailure(conflictLimitReached(conflictLimit).detail + '.');
  }
  {
    const rejected: RejectedRow[] = [];
    const conflicts: { row: MemberRow; memberId: string }[] = [];
    let toInsert: MemberRow[] = [];
    const toUpdate: PlannedUpdate[] = [];
    /** Sorts a row whose ID number is already a member: refused, conflict, or (upsert) an update. */
    const existingMember = (row: MemberRow, found: ExistingMember, upsert: boolean): void => {
      const inScope =
        !found.anonymised &&
        scopeContains(scope, {
          provinceCode: found.province_code,
          districtCode: found.district_code,
          municipalityCode: found.municipality_code,
          wardCode: found.ward_code,
        });
      if (!inScope) {
        conflicts.push({ row, memberId: found.id });
        rejected.push(refusedRow(row, CANNOT_REGISTER_HERE_REASON));
      } else if (!upsert) {
        rejected.push(rejectedPreview(row, alreadyMemberReason(found.membership_number)));
      } else {
        const plan = planUpdate(row, found);
        if (plan && 'rejected' in plan) rejected.push(plan.rejected);
        else if (plan) toUpdate.push(plan.update);
      }
    };
    const lookUp = async (rows: MemberRow[]): Promise<Map<string, ExistingMember>> => {
      const existing = await db.query<ExistingMember>(EXISTING_SQL, [rows.map((m) => m.idNumber)]);
      return new Map(existing.map((e) => [e.id_number.trim(), e]));
    };
    if (members.length > 0 && job.mode === ImportMode.Create && !job.dryRun) {
      // Create mode: INSERT ... ON CONFLICT DO NOTHING RETURNING says which ID numbers exist (below), so a
      // lookup first would only repeat that work for the usual file of new members.
      toInsert = members;
    } else if (members.length > 0) {
      const byId = await lookUp(members);
      for (const member of members) {
        const found = byId.get(member.idNumber);
        if (!found) toInsert.push(member);
        else existingMember(member, found, job.mode === ImportMode.Upsert);
      }
    }
    let inserted = toInsert.length;
    let updated = toUpdate.length;
    if (!job.dryRun) {
      if (toInsert.length > 0) {
        const written = new Set(
          (await db.query<{ id_number: string }>(INSERT_SQL, insertParameters(toInsert, job))).map(
            (r) => r.id_number.trim(),
          ),
        );
        inserted = written.size;
        const skipped = toInsert.filter((m) => !written.has(m.idNumber));
        if (skipped.length > 0) {
          // Already members (in the file's create mode, or inserted meanwhile by someone else).
          const byId = await lookUp(skipped);
          for (const m of skipped) {
            const found = byId.get(m.idNumber);
            if (found) existingMember(m, found, false);
            else rejected.push(refusedRow(m, CANNOT_REGISTER_HERE_REASON));
          }
        }
      }
      if (toUpdate.length > 0) {
        const result = await db.query<{ id: string }>(UPDATE_SQL, [
          toUpdate.map((m) => m.memberId),
          toUpdate.map((m) => m.firstNames),
          toUpdate.map((m) => m.surname),
          toUpdate.map((m) => m.cellNumber),
          toUpdate.map((m) => m.email),
          toUpdate.map((m) => m.residentialAddress),
          toUpdate.map((m) => JSON.stringify(m.changes)),
          job.id,
          job.uploadedBy,
        ]);
        updated = result.length;
      }
    }
    await context.previousCommitted();
    if (conflicts.length > 0) {
      // After the previous batch committed: it may hold the uploader's conflict lock until then.
      const count = await recordConflicts(
        db,
        job.uploadedBy,
        conflicts.map(({ row, memberId }) => ({
          source: RegistrationConflictSource.Import,
          memberId,
          area: row,
          importId: job.id,
          rowNumber: row.rowNumber,
        })),
      );
      emit({ type: 'conflicts', recorded: conflicts.length });
      if (count > conflictLimit) {
        emit({ type: 'limited', attempt: { refusedRows: conflicts.length, limit: conflictLimit } });
        throw new ImportFailure(conflictLimitReached(conflictLimit).detail + '.');
      }
    }
    return { inserted, updated, rejected };
  }
}

function insertParameters(rows: MemberRow[], job: WriterJob): unknown[] {
  return [
    rows.map((m) => m.idNumber),
    rows.map((m) => m.firstNames),
    rows.map((m) => m.surname),
    rows.map((m) => m.dateOfBirth),
    rows.map((m) => m.gender),
    rows.map((m) => m.citizenship),
    rows.map((m) => m.cellNumber),
    rows.map((m) => m.email),
    rows.map((m) => m.residentialAddress),
    rows.map((m) => m.wardCode),
    rows.map((m) => m.municipalityCode),
    rows.map((m) => m.districtCode),
    rows.map((m) => m.provinceCode),
    rows.map((m) => m.status),
    rows.map((m) => m.joinedOn),
    rows.map((m) => m.lastPaidOn),
    rows.map((m) => m.expiresOn),
    rows.map((m) => m.consentGiven),
    job.uploadedBy,
    job.id,
  ];
}
