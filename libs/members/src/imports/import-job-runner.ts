import { mkdir, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryRunner } from 'typeorm';
import { Scope, ScopeLevel } from '@app/auth';
import {
  APP_CONFIG,
  AuditService,
  DomainEventBus,
  DomainEventType,
  MetricsService,
  todayInSouthAfrica,
} from '@app/core';
import type { AppConfig } from '@app/core';
import { GeographyService } from '@app/geography';
import { UnreadableFileError, type ZipLimits } from '@app/files';
import { membershipPolicy } from '../membership-dates.js';
import { conflictCounter } from '../registration-conflicts/registration-conflicts.js';
import { ImportStatus, MemberImportJob } from './import-job.entity.js';
import { IMPORT_LOCK, ImportQueue } from './import-queue.js';
import {
  ImportWorkerRun,
  startImportWorker,
  UNEXPECTED_IMPORT_ERROR,
} from './import-worker-host.js';
import { ImportFailure } from './row-writer.js';

/**
 * The import jobs' lifecycle in this process: the queue (advisory-lock slots), running a claimed job on a worker
 * thread (import-worker.ts) while relaying its progress, failing jobs a dead process left running, and the files
 * jobs wait with in IMPORT_DIR.
 */
@Injectable()
export class ImportJobRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ImportJobRunner.name);
  private readonly queue: ImportQueue;
  private shuttingDown = false;
  private readonly workers = new Set<ImportWorkerRun>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly events: DomainEventBus,
    private readonly audit: AuditService,
    private readonly metrics: MetricsService,
    private readonly geography: GeographyService,
  ) {
    this.queue = new ImportQueue(dataSource, {
      concurrency: config.IMPORT_CONCURRENCY,
      runnable: (job) =>
        stat(this.jobFile(job)).then(
          () => true,
          () => false,
        ),
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
    return this.config.IMPORT_DIR || path.join(tmpdir(), 'eff-imports');
  }

  jobFile(job: Pick<MemberImportJob, 'id' | 'format'>): string {
    return path.join(this.importDir, `${job.id}.${job.format}`);
  }

  /**
   * Jobs left running by a process that died are marked failed, stating what was committed; queued jobs stay
   * queued and start when a slot is free.
   */
  async onApplicationBootstrap(): Promise<void> {
    await mkdir(this.importDir, { recursive: true });
    await this.failOrphans();
    this.queue.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    for (const worker of this.workers) worker.stop();
    await this.queue.stop();
  }

  async failOrphans(): Promise<void> {
    const rows = await this.dataSource.query<{ id: string }[]>(
      `SELECT id FROM member_import_jobs WHERE status = 'running'`,
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
          `UPDATE member_import_jobs SET status = 'failed', finished_at = now(), updated_at = now(),
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

  /** 1-based places in the import queue of the given jobs that are queued. */
  queuePositions(jobs: Pick<MemberImportJob, 'id' | 'status'>[]): Promise<Map<string, number>> {
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
    const job = await runner.manager.findOneBy(MemberImportJob, { id });
    if (!job || job.status !== ImportStatus.Queued) return;
    await runner.query(
      `UPDATE member_import_jobs SET status = 'running', started_at = COALESCE(started_at, now()),
         updated_at = now() WHERE id = $1`,
      [id],
    );
    job.status = ImportStatus.Running;
    this.publish(job);
    try {
      await this.process(job);
      const done = await runner.manager.findOneByOrFail(MemberImportJob, { id });
      await runner.query(
        `UPDATE member_import_jobs SET status = 'completed', finished_at = now(), updated_at = now() WHERE id = $1`,
        [id],
      );
      done.status = ImportStatus.Completed;
      this.metrics.imports().inc({ status: ImportStatus.Completed });
      await unlink(this.jobFile(job)).catch(() => undefined);
      await this.audit.record({
        action: 'members.import.completed',
        entityType: 'member_import',
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
      this.publish(done);
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      const message =
        error instanceof ImportFailure || error instanceof UnreadableFileError
          ? error.message
          : UNEXPECTED_IMPORT_ERROR;
      if (!(error instanceof ImportFailure || error instanceof UnreadableFileError)) {
        this.logger.error({ err: error, importId: id }, 'Import failed');
      }
      await runner.query(
        `UPDATE member_import_jobs SET status = 'failed', finished_at = now(), updated_at = now(),
           error = left($2 || ' Rows up to ' || committed_through_row || ' were committed (' || inserted_rows ||
             ' inserted, ' || updated_rows || ' updated).', 1000)
         WHERE id = $1`,
        [id, message],
      );
      this.metrics.imports().inc({ status: ImportStatus.Failed });
      const failed = await runner.manager.findOneBy(MemberImportJob, { id });
      if (failed) this.publish(failed);
    }
  }

  /**
   * The rows run on a worker thread with its own connections (import-worker.ts): this thread only relays the
   * committed counters as progress events, counts and audits registration conflicts, and waits for the end.
   */
  private async process(job: MemberImportJob): Promise<void> {
    const pendingAudit: Promise<void>[] = [];
    const conflicts = conflictCounter(this.metrics);
    const { url } = this.dataSource.options as { url?: string };
    if (!url) throw new Error('The database connection has no URL');
    const worker = startImportWorker(
      {
        job: {
          id: job.id,
          mode: job.mode,
          dryRun: job.dryRun,
          uploadedBy: job.uploadedBy,
          format: job.format,
          committedThroughRow: job.committedThroughRow,
        },
        file: this.jobFile(job),
        scope: this.jobScope(job),
        wards: await this.geography.wardChains(),
        today: todayInSouthAfrica(),
        policy: membershipPolicy(this.config),
        zipLimits: this.zipLimits,
        batchSize: this.config.IMPORT_BATCH_SIZE,
        maxRows: this.config.IMPORT_MAX_ROWS,
        conflictLimit: this.config.REGISTRATION_CONFLICT_LIMIT,
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
          this.publish(job);
        },
        conflicts: (recorded) => conflicts.inc({ outcome: 'recorded' }, recorded),
        limited: (attempt) => {
          conflicts.inc({ outcome: 'limited' });
          if (!attempt) return;
          pendingAudit.push(
            this.audit.record({
              action: 'registration_conflict.limit_reached',
              entityType: 'member_import',
              entityId: job.id,
              actorUserId: job.uploadedBy,
              provinceCode: job.provinceCode,
              changes: attempt,
            }),
          );
        },
      },
    );
    this.workers.add(worker);
    if (this.shuttingDown) worker.stop();
    this.logger.log(
      { importId: job.id, workerThreadId: worker.threadId },
      'Import rows run on a worker thread',
    );
    try {
      await worker.finished;
    } finally {
      this.workers.delete(worker);
      await Promise.allSettled(pendingAudit);
    }
  }

  private jobScope(job: MemberImportJob): Scope {
    const [level, code] = job.scopeKey.split(':') as [string, string | undefined];
    return level === 'national'
      ? { level: ScopeLevel.National, code: null }
      : { level: level as ScopeLevel, code: code ?? null };
  }

  private publish(job: MemberImportJob): void {
    this.events.publish({
      type: DomainEventType.ImportProgress,
      area: job.provinceCode
        ? {
            provinceCode: job.provinceCode,
            districtCode: job.districtCode,
            municipalityCode: job.municipalityCode,
            wardCode: job.wardCode,
          }
        : null,
      userId: job.uploadedBy,
      payload: {
        importId: job.id,
        status: job.status,
        dryRun: job.dryRun,
        totalRows: job.totalRows,
        validRows: job.validRows,
        insertedRows: job.insertedRows,
        updatedRows: job.updatedRows,
        rejectedRows: job.rejectedRows,
        duplicateRows: job.duplicateRows,
        committedThroughRow: job.committedThroughRow,
      },
    });
  }
}
