// What a module supplies to import its own rows through the engine (docs/files.md "Adding a row kind"). Everything
// here runs on the import's worker thread: a kind module imports nothing that needs Nest, the app or its pools.
import type { Scope } from '@app/auth';
import { ImportMode } from './import-enums.js';

export { ImportMode, ImportStatus } from './import-enums.js';

/** A failure the uploader is told about as it is (the job's error); anything else is an unexpected error. */
export class ImportFailure extends Error {}

/** A header row matched to the kind's fields. */
export interface ImportHeaderMapping<Field extends string = string> {
  /** column index -> field */
  columns: Map<number, Field>;
  /** Headers that matched no field (shown on the job as ignoredColumns). */
  ignored: string[];
  /** Required fields without a column: the upload answers 400. */
  missing: Field[];
  /** Fields with more than one column: the upload answers 400. */
  repeated: Field[];
}

/** A row the import did not write: reasons, and the kind's report fields (ImportKindRegistration.reportColumns). */
export interface RejectedRow {
  rowNumber: number;
  /** The row repeats one in the file or in the database (counted in duplicateRows). */
  duplicate: boolean;
  reasons: string[];
  /** One value per report column, in order; never more than the uploader needs to find the row. */
  fields: (string | null)[];
}

/** The job as the worker sees it. */
export interface ImportWorkerJob {
  id: string;
  kind: string;
  mode: ImportMode;
  dryRun: boolean;
  uploadedBy: string;
  /** The uploader's scope when they uploaded. */
  scope: Scope;
  /** The kind's job options (ImportJob.parameters). */
  parameters: Record<string, unknown>;
  /** Rows up to this file row number (header = 1) are committed: a resumed job starts after it. */
  committedThroughRow: number;
}

/** One connection of the worker's own two: a batch's transaction runs on it. */
export interface BatchConnection {
  query<T = unknown>(sql: string, parameters?: unknown[]): Promise<T[]>;
  begin(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  readonly inTransaction: boolean;
}

/** The rows of one batch: those the check accepted, those it rejected, and the file row the batch ends on. */
export interface ImportBatch<Row> {
  rows: Row[];
  rejected: RejectedRow[];
  lastRow: number;
}

export interface BatchContext {
  /**
   * Resolves once the batch before this one (on the other connection) has committed, and rejects if it failed.
   * Await it before writing anything that takes a lock the previous batch may hold; the engine awaits it
   * anyway before it writes the counters and commits.
   */
  previousCommitted(): Promise<void>;
  /** Sends an event to the kind's main-thread side (ImportKindRegistration.onEvent); structured-cloneable. */
  emit(event: unknown): void;
}

/** What a batch wrote, inside the batch's transaction (the engine adds its rejections and counters, then commits). */
export interface BatchWritten {
  /** Rows written as new (in a dry run: what a real run would write). */
  inserted: number;
  /** Rows that changed an existing record. */
  updated: number;
  /** Accepted rows the writer refused after all (already in the database, outside the area …). */
  rejected: RejectedRow[];
}

/** One job's rows on the worker: the state the check keeps across rows (wards, ID numbers seen …). */
export interface ImportRowSession<Row> {
  /** Pure: the row as the writer needs it, or why it is rejected. Runs for every row after the committed ones. */
  check(rowNumber: number, cells: readonly string[]): { row: Row } | { rejected: RejectedRow };
  /** Optional: a row committed before the job was resumed (e.g. remember its key to find later duplicates). */
  committed?(rowNumber: number, cells: readonly string[]): void;
  /**
   * Writes one batch on `db`, inside the transaction the engine began; throw ImportFailure to fail the job (the
   * batch rolls back; every earlier batch stays committed). Never commits or rolls back itself.
   */
  writeBatch(
    db: BatchConnection,
    batch: ImportBatch<Row>,
    context: BatchContext,
  ): Promise<BatchWritten>;
}

/**
 * A row kind: the module registered as ImportKindRegistration.workerModule exports it as `rowKind`. The worker
 * thread imports only that module (and what it imports).
 */
export interface ImportRowKind<Row, Context = unknown> {
  /** Matches the header row to fields (the upload check runs the same function on the main thread). */
  mapHeaders(headers: readonly string[]): ImportHeaderMapping;
  /** Starts a job's rows: `context` is what ImportKindRegistration.context built on the main thread. */
  open(job: ImportWorkerJob, mapping: ImportHeaderMapping, context: Context): ImportRowSession<Row>;
}

/** Types a kind module's `export const rowKind = defineRowKind({ … })`. */
export function defineRowKind<Row, Context = unknown>(
  kind: ImportRowKind<Row, Context>,
): ImportRowKind<Row, Context> {
  return kind;
}

/**
 * A simple header mapper: header spellings per field, compared after normalising (lower case, letters and digits
 * only, "(s)" as "s").
 */
export function headerMapper<Field extends string>(
  synonyms: Record<Field, readonly string[]>,
  required: readonly Field[],
): (headers: readonly string[]) => ImportHeaderMapping<Field> {
  const lookup = new Map<string, Field>(
    (Object.entries(synonyms) as [Field, readonly string[]][]).flatMap(([field, names]) =>
      names.map((name) => [normaliseHeader(name), field] as const),
    ),
  );
  return (headers) => {
    const columns = new Map<number, Field>();
    const seen = new Set<Field>();
    const ignored: string[] = [];
    const repeated: Field[] = [];
    headers.forEach((header, index) => {
      const field = lookup.get(normaliseHeader(header));
      if (!field) {
        if (header.trim()) ignored.push(header.trim().slice(0, 60));
        return;
      }
      if (seen.has(field)) {
        repeated.push(field);
        return;
      }
      seen.add(field);
      columns.set(index, field);
    });
    return { columns, ignored, missing: required.filter((f) => !seen.has(f)), repeated };
  };
}

export function normaliseHeader(header: string): string {
  return header
    .toLowerCase()
    .replace(/\(s\)/g, 's')
    .replace(/[^a-z0-9]/g, '');
}
