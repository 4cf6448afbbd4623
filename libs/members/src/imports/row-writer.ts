import { Scope, scopeContains, ScopeLevel } from '@app/auth';
import { ImportMode } from './import-job.entity.js';
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
  Queryable,
  recordConflicts,
} from '../registration-conflicts/registration-conflicts.js';

/** A failure the uploader is told about as it is (the job's error); anything else is an unexpected error. */
export class ImportFailure extends Error {}

/** The job as the row writer needs it. */
export interface WriterJob {
  id: string;
  mode: ImportMode;
  dryRun: boolean;
  uploadedBy: string;
}

export interface Batch {
  members: MemberRow[];
  rejected: RejectedRow[];
  lastRow: number;
}

/** The job's counters as a batch's transaction committed them. */
export interface JobCounters {
  totalRows: number;
  validRows: number;
  insertedRows: number;
  updatedRows: number;
  rejectedRows: number;
  duplicateRows: number;
  committedThroughRow: number;
}

/** One connection the writer runs a batch's transaction on. */
export interface BatchConnection extends Queryable {
  query<T = unknown>(sql: string, parameters?: unknown[]): Promise<T[]>;
  begin(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  readonly inTransaction: boolean;
}

/** What the writer reports besides the counters: the main thread counts and audits them. */
export interface WriterEvents {
  conflictsRecorded(count: number): void;
  /**
   * Refused past REGISTRATION_CONFLICT_LIMIT; `attempt` when this batch's rows went past it (the batch rolls back,
   * the attempt stays on record: audited).
   */
  limited(attempt: { refusedRows: number; limit: number } | null): void;
}

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

const REJECT_SQL = `
  INSERT INTO member_import_rejections (job_id, row_number, duplicate, reasons, masked_id_number, first_names,
    surname, ward_code)
  SELECT $1::uuid, u.row_number, u.duplicate, u.reasons::jsonb, u.masked, u.first_names, u.surname, u.ward_code
  FROM unnest($2::int[], $3::boolean[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
    AS u(row_number, duplicate, reasons, masked, first_names, surname, ward_code)
  ON CONFLICT DO NOTHING`;

const COUNTERS_SQL = `
  UPDATE member_import_jobs SET total_rows = total_rows + $2, valid_rows = valid_rows + $3,
    inserted_rows = inserted_rows + $4, updated_rows = updated_rows + $5, rejected_rows = rejected_rows + $6,
    duplicate_rows = duplicate_rows + $7, committed_through_row = $8, updated_at = now()
  WHERE id = $1
  RETURNING total_rows AS "totalRows", valid_rows AS "validRows", inserted_rows AS "insertedRows",
    updated_rows AS "updatedRows", rejected_rows AS "rejectedRows", duplicate_rows AS "duplicateRows",
    committed_through_row AS "committedThroughRow"`;

/**
 * Writes one batch in one transaction: members (with their history and audit events), rejected rows, registration
 * conflicts and the job's counters commit together, so a crash never leaves the counters wrong. The rows are
 * written while the previous batch (on the other connection) may still be committing; conflicts and counters are
 * written, and the transaction committed, only once that batch has committed, and never if it failed.
 *
 * An ID number that is a member outside the uploader's area (or erased) gets the generic CANNOT_REGISTER_HERE
 * reason and a registration conflict; past REGISTRATION_CONFLICT_LIMIT the job fails.
 */
export async function writeBatch(
  db: BatchConnection,
  job: WriterJob,
  scope: Scope,
  batch: Batch,
  previous: Promise<unknown> | null,
  conflictLimit: number,
  events: WriterEvents,
): Promise<JobCounters | null> {
  await db.begin();
  try {
    const national = scope.level === ScopeLevel.National;
    if (
      !national &&
      batch.members.length > 0 &&
      (await conflictsInLastDay(db, job.uploadedBy)) >= conflictLimit
    ) {
      events.limited(null);
      throw new ImportFailure(conflictLimitReached(conflictLimit).detail + '.');
    }
    const rejected = [...batch.rejected];
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
    if (batch.members.length > 0 && job.mode === ImportMode.Create && !job.dryRun) {
      // Create mode: INSERT ... ON CONFLICT DO NOTHING RETURNING says which ID numbers exist (below), so a
      // lookup first would only repeat that work for the usual file of new members.
      toInsert = batch.members;
    } else if (batch.members.length > 0) {
      const byId = await lookUp(batch.members);
      for (const member of batch.members) {
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
        toInsert = [];
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
    if (rejected.length > 0) {
      await db.query(REJECT_SQL, [
        job.id,
        rejected.map((r) => r.rowNumber),
        rejected.map((r) => r.duplicate),
        rejected.map((r) => JSON.stringify(r.reasons)),
        rejected.map((r) => r.maskedIdNumber),
        rejected.map((r) => r.firstNames),
        rejected.map((r) => r.surname),
        rejected.map((r) => r.wardCode),
      ]);
    }
    if (previous) await previous;
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
      events.conflictsRecorded(conflicts.length);
      if (count > conflictLimit) {
        events.limited({ refusedRows: conflicts.length, limit: conflictLimit });
        throw new ImportFailure(conflictLimitReached(conflictLimit).detail + '.');
      }
    }
    const total = batch.members.length + batch.rejected.length;
    const [counters] = await db.query<JobCounters>(COUNTERS_SQL, [
      job.id,
      total,
      total - rejected.length,
      inserted,
      updated,
      rejected.length,
      rejected.filter((r) => r.duplicate).length,
      batch.lastRow,
    ]);
    await db.commit();
    return counters ?? null;
  } catch (error) {
    if (db.inTransaction) await db.rollback();
    // Settle the batch before this one too, so no transaction is left open behind a failure.
    if (previous) await previous.catch(() => undefined);
    throw error;
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
