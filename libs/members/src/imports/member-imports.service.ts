import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  HttpStatus,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryRunner } from 'typeorm';
import { AuthUser, Scope, ScopeLevel, scopePredicate } from '@app/auth';
import {
  APP_CONFIG,
  AppException,
  AuditService,
  decodeCursor,
  DomainEventBus,
  DomainEventType,
  ErrorCode,
  MetricsService,
  Page,
  toPage,
  todayInSouthAfrica,
} from '@app/core';
import type { AppConfig } from '@app/core';
import type { WardChain } from '@app/geography';
import { mapHeaders, HeaderMapping } from './import-columns.js';
import { ImportFormat, ImportMode, ImportStatus, MemberImportJob } from './import-job.entity.js';
import { RejectedRow } from './import-row.js';
import { membershipPolicy } from '../membership-dates.js';
import { IMPORT_LOCK, ImportQueue } from './import-queue.js';
import {
  ImportWorkerRun,
  startImportWorker,
  UNEXPECTED_IMPORT_ERROR,
} from './import-worker-host.js';
import { ImportFailure } from './row-writer.js';
import { readRows, sniffFormat, UnreadableFileError } from './row-sources.js';
import { checkZipLimits, readZipDirectory, ZipLimitError, ZipLimits } from './zip-limits.js';
import { conflictCounter } from '../registration-conflicts/registration-conflicts.js';

export interface UploadedFile {
  path: string;
  size: number;
  originalname: string;
}

export interface ImportOptions {
  mode: ImportMode;
  dryRun: boolean;
}

export interface ListImportsOptions {
  limit: number;
  cursor?: string;
}

export function scopeKeyOf(scope: Scope): string {
  return scope.level === ScopeLevel.National ? 'national' : `${scope.level}:${scope.code ?? ''}`;
}

/**
 * Bulk member import: a file becomes a job; rows are validated like a single create and committed in batches,
 * each batch with the job's counters in one transaction, so a crash never leaves the counters wrong.
 */
@Injectable()
export class MemberImportsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MemberImportsService.name);
  private readonly queue: ImportQueue;
  private wardCache: { at: number; wards: Map<string, WardChain> } | null = null;
  private shuttingDown = false;
  private readonly workers = new Set<ImportWorkerRun>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly events: DomainEventBus,
    private readonly audit: AuditService,
    private readonly metrics: MetricsService,
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

  private get zipLimits(): ZipLimits {
    return {
      maxUncompressedBytes: this.config.IMPORT_MAX_UNCOMPRESSED_BYTES,
      maxRatio: this.config.IMPORT_MAX_COMPRESSION_RATIO,
    };
  }

  get importDir(): string {
    return this.config.IMPORT_DIR || path.join(tmpdir(), 'eff-imports');
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

  /** Accepts an uploaded file: 201/202 with a new job, or 200 with the job that already holds this file. */
  async upload(
    actor: AuthUser,
    file: UploadedFile | undefined,
    options: ImportOptions,
  ): Promise<{ job: MemberImportJob; created: boolean }> {
    if (!file)
      throw AppException.badRequest('Attach the register as the multipart field "file"', 'file');
    let keep = false;
    try {
      const format = await sniffFormat(file.path, file.size);
      if (format === null) {
        throw new AppException(
          HttpStatus.UNSUPPORTED_MEDIA_TYPE,
          ErrorCode.UnsupportedMediaType,
          'The file is neither a CSV nor an XLSX spreadsheet',
        );
      }
      if (format === 'truncated') {
        throw AppException.badRequest('The XLSX file is truncated or damaged', 'file');
      }
      if (format === ImportFormat.Xlsx) await this.checkArchive(file.path);
      const mapping = await this.readHeader(file.path, format);
      const sha256 = await this.hashFile(file.path);
      const scopeKey = scopeKeyOf(actor.scope);

      if (!options.dryRun) {
        const existing = await this.dataSource.getRepository(MemberImportJob).findOne({
          where: { scopeKey, fileSha256: sha256, mode: options.mode, dryRun: false },
          order: { createdAt: 'DESC' },
        });
        if (existing) {
          if (existing.status === ImportStatus.Failed) {
            await rename(file.path, this.jobFile(existing));
            keep = true;
            return { job: await this.restart(existing), created: false };
          }
          return { job: existing, created: false };
        }
      }

      const chain = await this.scopeChain(actor.scope);
      const job = await this.dataSource.getRepository(MemberImportJob).save({
        status: ImportStatus.Queued,
        mode: options.mode,
        dryRun: options.dryRun,
        fileName: (file.originalname || 'upload').slice(0, 255),
        format,
        fileSha256: sha256,
        fileSize: file.size,
        scopeKey,
        provinceCode: chain.provinceCode ?? null,
        districtCode: chain.districtCode ?? null,
        municipalityCode: chain.municipalityCode ?? null,
        wardCode: chain.wardCode ?? null,
        uploadedBy: actor.id,
        ignoredColumns: mapping.ignored,
      });
      await rename(file.path, this.jobFile(job));
      keep = true;
      await this.audit.record({
        action: 'members.import.started',
        entityType: 'member_import',
        entityId: job.id,
        changes: { fileName: job.fileName, mode: job.mode, dryRun: job.dryRun, format },
        provinceCode: job.provinceCode,
      });
      this.launch(job.id);
      return { job, created: true };
    } finally {
      if (!keep) await unlink(file.path).catch(() => undefined);
    }
  }

  async retry(actor: AuthUser, id: string): Promise<MemberImportJob> {
    const job = await this.get(actor, id);
    if (job.status !== ImportStatus.Failed) {
      throw AppException.conflict(`Only a failed import can be retried; this one is ${job.status}`);
    }
    const exists = await stat(this.jobFile(job)).then(
      () => true,
      () => false,
    );
    if (!exists) {
      throw AppException.conflict('The file of this import is no longer kept; upload it again');
    }
    return this.restart(job);
  }

  private async restart(job: MemberImportJob): Promise<MemberImportJob> {
    await this.dataSource
      .getRepository(MemberImportJob)
      .update(
        { id: job.id, status: ImportStatus.Failed },
        { status: ImportStatus.Queued, error: null, finishedAt: null },
      );
    this.launch(job.id);
    return { ...job, status: ImportStatus.Queued, error: null, finishedAt: null };
  }

  async list(actor: AuthUser, options: ListImportsOptions): Promise<Page<MemberImportJob>> {
    const p = scopePredicate(actor.scope, 'j');
    const qb = this.dataSource
      .getRepository(MemberImportJob)
      .createQueryBuilder('j')
      .where(`(${p.sql})`, p.params)
      .orderBy('j.created_at', 'DESC')
      .addOrderBy('j.id', 'DESC')
      .take(options.limit + 1);
    if (options.cursor) {
      const [createdAt, id] = decodeCursor(options.cursor, 2);
      if (typeof createdAt !== 'string' || typeof id !== 'string') {
        throw AppException.badRequest('cursor is not valid', 'cursor');
      }
      qb.andWhere('(j.created_at, j.id) < (:createdAt::timestamptz, :id::uuid)', { createdAt, id });
    }
    const rows = await qb.getMany();
    return toPage(rows, options.limit, (j) => [j.createdAt.toISOString(), j.id]);
  }

  /** A job inside the caller's scope; anything else is 404 (no existence leak). */
  async get(actor: AuthUser, id: string): Promise<MemberImportJob> {
    const p = scopePredicate(actor.scope, 'j');
    const job = await this.dataSource
      .getRepository(MemberImportJob)
      .createQueryBuilder('j')
      .where('j.id = :id', { id })
      .andWhere(`(${p.sql})`, p.params)
      .getOne();
    if (!job) throw AppException.notFound('Import');
    return job;
  }

  /** Rejected rows in row order, a page at a time (the report streams them). */
  async *rejections(jobId: string): AsyncGenerator<RejectedRow> {
    let after = 0;
    for (;;) {
      const rows = await this.dataSource.query<
        {
          row_number: number;
          duplicate: boolean;
          reasons: string[];
          masked_id_number: string | null;
          first_names: string | null;
          surname: string | null;
          ward_code: string | null;
        }[]
      >(
        `SELECT row_number, duplicate, reasons, masked_id_number, first_names, surname, ward_code
         FROM member_import_rejections WHERE job_id = $1 AND row_number > $2 ORDER BY row_number LIMIT 5000`,
        [jobId, after],
      );
      for (const r of rows) {
        yield {
          rowNumber: r.row_number,
          duplicate: r.duplicate,
          reasons: r.reasons,
          maskedIdNumber: r.masked_id_number,
          firstNames: r.first_names,
          surname: r.surname,
          wardCode: r.ward_code,
        };
      }
      const last = rows[rows.length - 1];
      if (!last || rows.length < 5000) return;
      after = last.row_number;
    }
  }

  private jobFile(job: Pick<MemberImportJob, 'id' | 'format'>): string {
    return path.join(this.importDir, `${job.id}.${job.format}`);
  }

  private async readHeader(file: string, format: ImportFormat): Promise<HeaderMapping> {
    const rows = readRows(file, format, this.zipLimits);
    let first;
    try {
      first = await rows.next();
    } catch (error) {
      if (error instanceof ZipLimitError) throw zipLimitProblem(error);
      throw AppException.badRequest(
        error instanceof UnreadableFileError ? error.message : 'The file could not be read',
        'file',
      );
    } finally {
      await rows.return(undefined).catch(() => undefined);
    }
    if (first.done) throw AppException.badRequest('The file is empty', 'file');
    const mapping = mapHeaders(first.value.cells);
    if (mapping.missing.length > 0 || mapping.repeated.length > 0) {
      const problems = [
        ...mapping.missing.map((f) => `no column for ${f}`),
        ...mapping.repeated.map((f) => `more than one column for ${f}`),
      ];
      throw AppException.badRequest(
        `The header row does not match the template: ${problems.join('; ')} (GET /api/v1/members/imports/template)`,
        'file',
        'header',
      );
    }
    return mapping;
  }

  /** Reads an XLSX's central directory and refuses it, before anything is inflated, when it would unpack too far. */
  private async checkArchive(file: string): Promise<void> {
    try {
      checkZipLimits(await readZipDirectory(file), this.zipLimits);
    } catch (error) {
      if (error instanceof ZipLimitError) throw zipLimitProblem(error);
      if (error instanceof UnreadableFileError)
        throw AppException.badRequest(error.message, 'file');
      throw error;
    }
  }

  /** 1-based places in the import queue of the given jobs that are queued. */
  queuePositions(jobs: Pick<MemberImportJob, 'id' | 'status'>[]): Promise<Map<string, number>> {
    return this.queue.positions(
      jobs.filter((j) => j.status === ImportStatus.Queued).map((j) => j.id),
    );
  }

  private hashFile(file: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const hash = createHash('sha256');
      createReadStream(file)
        .on('data', (chunk) => hash.update(chunk))
        .on('error', reject)
        .on('end', () => resolve(hash.digest('hex')));
    });
  }

  private async scopeChain(scope: Scope): Promise<Partial<WardChain>> {
    if (scope.level === ScopeLevel.National || !scope.code) return {};
    const sql: Record<Exclude<ScopeLevel, ScopeLevel.National>, string> = {
      [ScopeLevel.Province]: `SELECT code AS "provinceCode" FROM provinces WHERE code = $1`,
      [ScopeLevel.District]: `SELECT province_code AS "provinceCode", code AS "districtCode" FROM districts WHERE code = $1`,
      [ScopeLevel.Municipality]: `SELECT province_code AS "provinceCode", district_code AS "districtCode", code AS "municipalityCode" FROM municipalities WHERE code = $1`,
      [ScopeLevel.Ward]: `SELECT province_code AS "provinceCode", district_code AS "districtCode", municipality_code AS "municipalityCode", code AS "wardCode" FROM wards WHERE code = $1`,
    };
    const [row] = await this.dataSource.query<Partial<WardChain>[]>(sql[scope.level], [scope.code]);
    if (!row) throw AppException.forbidden('Your account’s area does not exist');
    return row;
  }

  private async wards(): Promise<Map<string, WardChain>> {
    if (this.wardCache && Date.now() - this.wardCache.at < 600_000) return this.wardCache.wards;
    const rows = await this.dataSource.query<WardChain[]>(
      `SELECT code AS "wardCode", municipality_code AS "municipalityCode", district_code AS "districtCode",
         province_code AS "provinceCode" FROM wards`,
    );
    const wards = new Map(rows.map((w) => [w.wardCode, w]));
    this.wardCache = { at: Date.now(), wards };
    return wards;
  }

  /** Queues the job: it starts when one of the IMPORT_CONCURRENCY slots is free. */
  private launch(_id: string): void {
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
        wards: [...(await this.wards()).values()],
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

function zipLimitProblem(error: ZipLimitError): AppException {
  return error.kind === 'total'
    ? new AppException(
        HttpStatus.PAYLOAD_TOO_LARGE,
        ErrorCode.UncompressedTooLarge,
        error.message,
        [{ field: 'file', code: 'uncompressed_too_large', message: error.message }],
      )
    : new AppException(
        HttpStatus.UNPROCESSABLE_ENTITY,
        ErrorCode.CompressionRatioTooHigh,
        error.message,
        [{ field: 'file', code: 'compression_ratio_too_high', message: error.message }],
      );
}
