import { mkdir, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import { DataSource, QueryRunner } from 'typeorm';
import { Scope, ScopeLevel } from '@app/auth';
import type { AppConfig, AuditEntry } from '@app/core';
import { UnreadableFileError } from '../file-errors.js';
import type { ZipLimits } from '../zip-limits.js';
import { ImportJob, ImportStatus } from './import-job.entity.js';
import { ImportKindRegistry } from './import-kind.js';
import { IMPORT_LOCK, ImportQueue } from './import-queue.js';
import {
  ImportWorkerRun,
  startImportWorker,
  UNEXPECTED_IMPORT_ERROR,
} from './import-worker-host.js';
import { ImportFailure } from './row-kind.js';

/** The settings the engine reads (AppConfig's IMPORT_* and database settings). */
export type ImportEngineConfig = Pick<
  AppConfig,
  | 'IMPORT_DIR'
  | 'IMPORT_CONCURRENCY'
  | 'IMPORT_BATCH_SIZE'
  | 'IMPORT_MAX_ROWS'
  | 'IMPORT_WORKER_NICE'
  | 'IMPORT_MAX_UNCOMPRESSED_BYTES'
  | 'IMPORT_MAX_COMPRESSION_RATIO'
  | 'DATABASE_SSL_MODE'
  | 'DATABASE_SSL_CA_FILE'
  | 'DATABASE_STATEMENT_TIMEOUT_MS'
  | 'DATABASE_CONNECT_TIMEOUT_MS'
>;

/** What the engine tells the rest of the app: progress events, audit records, the outcome metric. */
export interface ImportEngineHooks {
  publish(job: ImportJob): void;
  audit(entry: AuditEntry): Promise<void>;
  finished(status: ImportStatus.Completed | ImportStatus.Failed): void;
}

export function importDirOf(config: Pick<AppConfig, 'IMPORT_DIR'>): string {
  return config.IMPORT_DIR || path.join(tmpdir(), 'eff-imports');
}

export function scopeOfJob(job: Pick<ImportJob, 'scopeKey'>): Scope {
  const [level, code] = job.scopeKey.split(':') as [string, string | undefined];
  return level === 'national'
    ? { level: ScopeLevel.National, code: null }
    : { level: level as ScopeLevel, code: code ?? null };
}

/**
 * The import jobs' lifecycle in this process, for every row kind: the queue (advisory-lock slots), running a
 * claimed job on a worker thread (import-worker.ts, which loads only the job's kind module) while relaying its
 * progress, failing jobs a dead process left running, and the files jobs wait with in IMPORT_DIR. Nest wires it
 * as ImportJobRunner; a spec can build it on its own DataSource.
 */
export class ImportEngine {
  protected readonly logger = new Logger('ImportJobRunner');
  private readonly queue: ImportQueue;
  private shuttingDown = false;
  private readonly workers = new Set<ImportWorkerRun>();

  constructor(
    protected readonly dataSource: DataSource,
    protected readonly config: ImportEngineConfig,
    readonly kinds: ImportKindRegistry,
    private readonly hooks: ImportEngineHooks,
  ) {
    this.queue = new ImportQueue(dataSource, {
      concurrency: config.IMPORT_CONCURRENCY,
      runnable: (job) =>
        this.kinds.find(job.kind)
          ? stat(this.jobFile(job)).then(
              () => true,
              () => false,
            )
          : Promise.resolve(false),
      run: (id, runner) => this.run(id, runner),
    });
  }

  get zipLimits(): ZipLimits {
    return {
      maxUncompressedBytes: this.config.IMPORT_MAX_UNCOMPRESSED_BYTES,
      maxRatio: this.config.IMPORT_MAX_COMPRESSION_RATIO,
    };
  }

  get importDir(): string {
    return importDirOf(this.config);
  }

  jobFile(job: Pick<ImportJob, 'id' | 'format'>): string {
    return path.join(this.importDir, `${job.id}.${job.format}`);
  }

  /**
   * Jobs left running by a process that died are marked failed, stating what was committed; queued jobs stay
   * queued and start when a slot is free.
   */
  async start(): Promise<void> {
    await mkdir(this.importDir, { recursive: true });
    await this.failOrphans();
    this.queue.start();
  }

  async stop(): Promise<void> {
    this.shuttingDown = true;
    for (const worker of this.workers) worker.stop();
    await this.queue.stop();
  }

  async failOrphans(): Promise<void> {
    const rows = await this.dataSource.query<{ id: string }[]>(
      `SELECT id FROM import_jobs WHERE status = 'running'`,
    );
    for (const { id } of rows) {
      if (this.queue.running.has(id)) continue;
      const runner = this.dataSource.createQueryRunner();
      await runner.connect();
      try {
        const [lock] = (await runner.query('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [
          IMPORT_LOCK,
          id,
        ])) as { ok: boolean }[];
        if (!lock?.ok) continue; // a live process is running it
        await runner.query(
          `UPDATE import_jobs SET status = 'failed', finished_at = now(), updated_at = now(),
             error = 'The process running this import stopped. Rows up to ' || committed_through_row ||
               ' were committed (' || inserted_rows || ' inserted, ' || updated_rows ||
               ' updated); retry to finish the rest.'
           WHERE id = $1 AND status = 'running'`,
          [id],
        );
        await runner.query('SELECT pg_advisory_unlock($1, hashtext($2))', [IMPORT_LOCK, id]);
        this.logger.warn({ importId: id }, 'Marked an orphaned import as failed');
      } finally {
        await runner.release();
      }
    }
  }

  /** 1-based places in the import queue (shared by every kind) of the given jobs that are queued. */
  queuePositions(jobs: Pick<ImportJob, 'id' | 'status'>[]): Promise<Map<string, number>> {
    return this.queue.positions(
      jobs.filter((j) => j.status === ImportStatus.Queued).map((j) => j.id),
    );
  }

  /** Queues the job: it starts when one of the IMPORT_CONCURRENCY slots is free. */
  launch(): void {
    this.queue.kick();
  }

  /**
   * Processes a job from the row after its last committed one. The queue calls it on a connection that holds
   * the job's advisory lock and a run slot, and releases both afterwards.
   */
  private async run(id: string, runner: QueryRunner): Promise<void> {
    const job = await runner.manager.findOneBy(ImportJob, { id });
    if (!job || job.status !== ImportStatus.Queued) return;
    const kind = this.kinds.get(job.kind);
    await runner.query(
      `UPDATE import_jobs SET status = 'running', started_at = COALESCE(started_at, now()),
         updated_at = now() WHERE id = $1`,
      [id],
    );
    job.status = ImportStatus.Running;
    this.hooks.publish(job);
    try {
      await this.process(job);
      const done = await runner.manager.findOneByOrFail(ImportJob, { id });
      await runner.query(
        `UPDATE import_jobs SET status = 'completed', finished_at = now(), updated_at = now() WHERE id = $1`,
        [id],
      );
      done.status = ImportStatus.Completed;
      this.hooks.finished(ImportStatus.Completed);
      await unlink(this.jobFile(job)).catch(() => undefined);
      await this.hooks.audit({
        action: `${kind.audit.actionPrefix}.completed`,
        entityType: kind.audit.entityType,
        entityId: id,
        actorUserId: job.uploadedBy,
        provinceCode: job.provinceCode,
        changes: {
          dryRun: done.dryRun,
          totalRows: done.totalRows,
          insertedRows: done.insertedRows,
          updatedRows: done.updatedRows,
          rejectedRows: done.rejectedRows,
        },
      });
      this.hooks.publish(done);
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      const told = error instanceof ImportFailure || error instanceof UnreadableFileError;
      const message = told ? error.message : UNEXPECTED_IMPORT_ERROR;
      if (!told) this.logger.error({ err: error, importId: id }, 'Import failed');
      await runner.query(
        `UPDATE import_jobs SET status = 'failed', finished_at = now(), updated_at = now(),
           error = left($2 || ' Rows up to ' || committed_through_row || ' were committed (' || inserted_rows ||
             ' inserted, ' || updated_rows || ' updated).', 1000)
         WHERE id = $1`,
        [id, message],
      );
      this.hooks.finished(ImportStatus.Failed);
      const failed = await runner.manager.findOneBy(ImportJob, { id });
      if (failed) this.hooks.publish(failed);
    }
  }

  /**
   * The rows run on a worker thread with its own connections (import-worker.ts): this thread only relays the
   * committed counters as progress events and the kind's events, and waits for the end.
   */
  private async process(job: ImportJob): Promise<void> {
    const kind = this.kinds.get(job.kind);
    const pending: Promise<void>[] = [];
    const { url } = this.dataSource.options as { url?: string };
    if (!url) throw new Error('The database connection has no URL');
    const worker = startImportWorker(
      {
        kindModule: kind.workerModule,
        job: {
          id: job.id,
          kind: job.kind,
          mode: job.mode,
          dryRun: job.dryRun,
          uploadedBy: job.uploadedBy,
          scope: scopeOfJob(job),
          parameters: job.parameters,
          committedThroughRow: job.committedThroughRow,
        },
        context: await kind.context(job),
        file: this.jobFile(job),
        format: job.format,
        zipLimits: this.zipLimits,
        batchSize: this.config.IMPORT_BATCH_SIZE,
        maxRows: this.config.IMPORT_MAX_ROWS,
        nice: this.config.IMPORT_WORKER_NICE,
        database: {
          url,
          config: {
            DATABASE_SSL_MODE: this.config.DATABASE_SSL_MODE,
            DATABASE_SSL_CA_FILE: this.config.DATABASE_SSL_CA_FILE,
            DATABASE_STATEMENT_TIMEOUT_MS: this.config.DATABASE_STATEMENT_TIMEOUT_MS,
            DATABASE_CONNECT_TIMEOUT_MS: this.config.DATABASE_CONNECT_TIMEOUT_MS,
          },
        },
      },
      {
        progress: (counters) => {
          // The counters as committed, without reading the job back after every batch.
          Object.assign(job, counters);
          this.hooks.publish(job);
        },
        event: (event) => {
          const done = kind.onEvent?.(job, event);
          if (done) pending.push(done.catch(() => undefined));
        },
      },
    );
    this.workers.add(worker);
    if (this.shuttingDown) worker.stop();
    this.logger.log(
      { importId: job.id, kind: job.kind, workerThreadId: worker.threadId },
      'Import rows run on a worker thread',
    );
    try {
      await worker.finished;
    } finally {
      this.workers.delete(worker);
      await Promise.allSettled(pending);
    }
  }
}
