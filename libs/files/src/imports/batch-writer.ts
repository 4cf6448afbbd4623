import type { BatchConnection, ImportBatch, ImportRowSession, RejectedRow } from './row-kind.js';

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

const REJECT_SQL = `
  INSERT INTO import_rejections (job_id, row_number, duplicate, reasons, fields)
  SELECT $1::uuid, u.row_number, u.duplicate, u.reasons::jsonb, u.fields::jsonb
  FROM unnest($2::int[], $3::boolean[], $4::text[], $5::text[]) AS u(row_number, duplicate, reasons, fields)
  ON CONFLICT DO NOTHING`;

const COUNTERS_SQL = `
  UPDATE import_jobs SET total_rows = total_rows + $2, valid_rows = valid_rows + $3,
    inserted_rows = inserted_rows + $4, updated_rows = updated_rows + $5, rejected_rows = rejected_rows + $6,
    duplicate_rows = duplicate_rows + $7, committed_through_row = $8, updated_at = now()
  WHERE id = $1
  RETURNING total_rows AS "totalRows", valid_rows AS "validRows", inserted_rows AS "insertedRows",
    updated_rows AS "updatedRows", rejected_rows AS "rejectedRows", duplicate_rows AS "duplicateRows",
    committed_through_row AS "committedThroughRow"`;

/**
 * Writes one batch in one transaction: the kind's rows (its writeBatch), the rejected rows and the job's counters
 * commit together, so a crash never leaves the counters wrong and a retry resumes after committedThroughRow. The
 * kind's rows may be written while the previous batch (on the other connection) is still committing; the
 * rejections, counters and commit wait for it, and never happen if it failed.
 */
export async function writeBatch<Row>(
  db: BatchConnection,
  jobId: string,
  session: ImportRowSession<Row>,
  batch: ImportBatch<Row>,
  previous: Promise<unknown> | null,
  emit: (event: unknown) => void,
): Promise<JobCounters | null> {
  await db.begin();
  try {
    const previousCommitted = async (): Promise<void> => {
      if (previous) await previous;
    };
    const written =
      batch.rows.length > 0
        ? await session.writeBatch(db, batch, { previousCommitted, emit })
        : { inserted: 0, updated: 0, rejected: [] as RejectedRow[] };
    const rejected =
      written.rejected.length > 0 ? [...batch.rejected, ...written.rejected] : batch.rejected;
    if (rejected.length > 0) {
      await db.query(REJECT_SQL, [
        jobId,
        rejected.map((r) => r.rowNumber),
        rejected.map((r) => r.duplicate),
        rejected.map((r) => JSON.stringify(r.reasons)),
        rejected.map((r) => JSON.stringify(r.fields)),
      ]);
    }
    await previousCommitted();
    const total = batch.rows.length + batch.rejected.length;
    const [counters] = await db.query<JobCounters>(COUNTERS_SQL, [
      jobId,
      total,
      total - rejected.length,
      written.inserted,
      written.updated,
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
