import type { TableColumn } from '../table-writer.js';
import type { ImportJob } from './import-job.entity.js';
import type { ImportHeaderMapping } from './row-kind.js';

/**
 * A row kind as the main thread knows it: registered once (ImportKindRegistry.register, e.g. in a module's
 * onModuleInit). The rows themselves run on the worker thread, in `workerModule` (its `rowKind` export).
 */
export interface ImportKindRegistration<Context = unknown> {
  /** Stored on the job (import_jobs.kind): 'members', 'renewals', 'attendance' … (at most 40 characters). */
  kind: string;
  /**
   * Absolute path of the compiled module that exports `rowKind` (defineRowKind): use
   * `compiledModule(import.meta.dirname, 'my-kind.worker.js')`. The worker thread imports only this module.
   */
  workerModule: string;
  /** The same header mapping as rowKind.mapHeaders: the upload is refused (400) when it misses a required field. */
  mapHeaders(headers: readonly string[]): ImportHeaderMapping;
  /** Where the uploader finds the template (said in the 400 when the header does not match). */
  templateHint: string;
  /** The report's columns after Row, Duplicate and Reasons: one per RejectedRow.fields value. */
  reportColumns: readonly TableColumn[];
  /** Audit: `<actionPrefix>.started` and `<actionPrefix>.completed` on `<entityType>` with the job's id. */
  audit: { entityType: string; actionPrefix: string };
  /**
   * What the worker's check needs besides the job (wards, today, a policy, a meeting …), built on the main thread
   * each time the job starts; structured-cloneable (it is copied to the worker).
   */
  context(job: ImportJob): Promise<Context>;
  /** An event the kind's writer emitted (BatchContext.emit); the job ends only once a returned promise settles. */
  onEvent?(job: ImportJob, event: unknown): Promise<void> | void;
}

/** The row kinds this process runs: one engine (queue, runner, worker host, sweeper, report) for all of them. */
export class ImportKindRegistry {
  private readonly kinds = new Map<string, ImportKindRegistration>();

  register<Context>(registration: ImportKindRegistration<Context>): void {
    if (registration.kind.length > 40)
      throw new Error(`Import kind ${registration.kind} is too long`);
    if (this.kinds.has(registration.kind)) {
      throw new Error(`Import kind ${registration.kind} is registered twice`);
    }
    this.kinds.set(registration.kind, registration);
  }

  find(kind: string): ImportKindRegistration | undefined {
    return this.kinds.get(kind);
  }

  get(kind: string): ImportKindRegistration {
    const found = this.kinds.get(kind);
    if (!found) throw new Error(`No import kind ${kind} is registered`);
    return found;
  }
}
