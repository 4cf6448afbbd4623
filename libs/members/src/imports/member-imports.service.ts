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
import { DataSource, QueryResult, QueryRunner } from 'typeorm';
import { AuthUser, Scope, scopeContains, ScopeLevel, scopePredicate } from '@app/auth';
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
import { checkRow, MemberRow, RejectedRow, rejectedPreview, rowToBody } from './import-row.js';
import { membershipPolicy } from '../membership-dates.js';
import { IMPORT_LOCK, ImportQueue } from './import-queue.js';
import { readRows, sniffFormat, UnreadableFileError } from './row-sources.js';
import { checkZipLimits, readZipDirectory, ZipLimitError, ZipLimits } from './zip-limits.js';
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
  conflictCounter,
  conflictLimitReached,
  conflictsInLastDay,
  recordConflicts,
} from '../registration-conflicts/registration-conflicts.js';

/** The longest an import validates rows before letting the API's requests in (#15.11). */
const IMPORT_SLICE_MS = 4;

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

class ImportFailure extends Error {}

interface Batch {
  members: MemberRow[];
  rejected: RejectedRow[];
  lastRow: number;
}

interface JobCounters {
  total_rows: number;
  valid_rows: number;
  inserted_rows: number;
  updated_rows: number;
  rejected_rows: number;
  duplicate_rows: number;
}

export function scopeKeyOf(scope: Scope): string {
  return scope.level === ScopeLevel.National ? 'national' : `${scope.level}:${scope.code ?? ''}`;
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
      await this.process(runner, job);
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
          : 'The import stopped on an unexpected error';
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

  private async process(runner: QueryRunner, job: MemberImportJob): Promise<void> {
    const wards = await this.wards();
    const today = todayInSouthAfrica();
    const scope = await this.jobScope(job);
    const seen = new Map<string, number>();
    const batchSize = this.config.IMPORT_BATCH_SIZE;
    const inFlight: { pending: Promise<void> | null } = { pending: null };
    let mapping: HeaderMapping | null;
    // A second connection writes batch N+1 while batch N commits on the first (see commit()).
    const second = this.dataSource.createQueryRunner();
    try {
      await second.connect();
      mapping = await this.readAll(
        [runner, second],
        job,
        scope,
        wards,
        today,
        seen,
        batchSize,
        (p) => {
          inFlight.pending = p;
        },
      );
    } catch (error) {
      // Never leave a batch's transaction half-done behind a failure: let it commit or roll back first.
      if (inFlight.pending) await inFlight.pending.catch(() => undefined);
      throw error;
    } finally {
      await second.release();
    }
    if (!mapping) throw new ImportFailure('The file is empty.');
  }

  private async readAll(
    runners: [QueryRunner, QueryRunner],
    job: MemberImportJob,
    scope: Scope,
    wards: Map<string, WardChain>,
    today: string,
    seen: Map<string, number>,
    batchSize: number,
    track: (pending: Promise<void> | null) => void,
  ): Promise<HeaderMapping | null> {
    const policy = membershipPolicy(this.config);
    let mapping: HeaderMapping | null = null;
    let dataRows = 0;
    let batch: Batch = { members: [], rejected: [], lastRow: job.committedThroughRow };
    // Up to two batches in flight, one per connection; each commits only after the one before it.
    let pending: Promise<void> | null = null;
    let before: Promise<void> | null = null;
    let batches = 0;
    let sliceStart = performance.now();
    for await (const row of readRows(this.jobFile(job), job.format, this.zipLimits)) {
      if (!mapping) {
        mapping = mapHeaders(row.cells);
        continue;
      }
      dataRows += 1;
      // Buffered rows arrive as microtasks: let the API's requests in between (#15.11).
      if (performance.now() - sliceStart > IMPORT_SLICE_MS) {
        await new Promise((r) => setImmediate(r));
        sliceStart = performance.now();
      }
      if (dataRows > this.config.IMPORT_MAX_ROWS) {
        throw new ImportFailure(`The file has more than ${this.config.IMPORT_MAX_ROWS} rows.`);
      }
      const body = rowToBody(row.cells, mapping.columns);
      if (row.rowNumber <= job.committedThroughRow) {
        // Committed before a crash: only remember its ID number, to find duplicates in the rest of the file.
        if (typeof body.idNumber === 'string') {
          const key = body.idNumber.replace(/[\s-]/g, '');
          if (!seen.has(key)) seen.set(key, row.rowNumber);
        }
        continue;
      }
      const result = checkRow(row.rowNumber, body, wards, scope, today, policy);
      if ('rejected' in result) {
        batch.rejected.push(result.rejected);
      } else {
        const first = seen.get(result.member.idNumber);
        if (first !== undefined) {
          batch.rejected.push(
            rejectedPreview(
              result.member,
              `idNumber: the same ID number is on row ${first} of this file`,
            ),
          );
        } else {
          seen.set(result.member.idNumber, row.rowNumber);
          batch.members.push(result.member);
        }
      }
      batch.lastRow = row.rowNumber;
      if (batch.members.length + batch.rejected.length >= batchSize) {
        if (this.shuttingDown) throw new ImportFailure('The server is shutting down.');
        // One batch is written while the next is parsed and validated; batches still commit in order.
        if (before) await before; // the batch that used this connection
        before = pending;
        pending = this.commit(runners[batches % 2]!, job, scope, batch, pending);
        batches += 1;
        pending.catch(() => undefined);
        track(pending);
        batch = { members: [], rejected: [], lastRow: batch.lastRow };
      }
    }
    if (pending) await pending;
    track(null);
    if (mapping) await this.commit(runners[batches % 2]!, job, scope, batch, null);
    return mapping;
  }

  private async jobScope(job: MemberImportJob): Promise<Scope> {
    const [level, code] = job.scopeKey.split(':') as [string, string | undefined];
    return level === 'national'
      ? { level: ScopeLevel.National, code: null }
      : { level: level as ScopeLevel, code: code ?? null };
  }

  /**
   * One batch, one transaction: members (with their history and audit events), rejected rows, registration
   * conflicts and the job's counters commit together. The rows are written while the previous batch (on the other
   * connection) may still be committing; conflicts and counters are written, and the transaction committed, only
   * once that batch has committed, and never if it failed.
   *
   * An ID number that is a member outside the uploader's area (or erased) gets the generic CANNOT_REGISTER_HERE
   * reason and a registration conflict; past REGISTRATION_CONFLICT_LIMIT the job fails.
   */
  private async commit(
    runner: QueryRunner,
    job: MemberImportJob,
    scope: Scope,
    batch: Batch,
    previous: Promise<void> | null,
  ): Promise<void> {
    await runner.startTransaction();
    try {
      const limit = this.config.REGISTRATION_CONFLICT_LIMIT;
      const national = scope.level === ScopeLevel.National;
      if (
        !national &&
        batch.members.length > 0 &&
        (await conflictsInLastDay(runner, job.uploadedBy)) >= limit
      ) {
        conflictCounter(this.metrics).inc({ outcome: 'limited' });
        throw new ImportFailure(conflictLimitReached(limit).detail + '.');
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
        const existing = (await runner.query(EXISTING_SQL, [
          rows.map((m) => m.idNumber),
        ])) as ExistingMember[];
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
          const result = (await runner.query(
            INSERT_SQL,
            [
              toInsert.map((m) => m.idNumber),
              toInsert.map((m) => m.firstNames),
              toInsert.map((m) => m.surname),
              toInsert.map((m) => m.dateOfBirth),
              toInsert.map((m) => m.gender),
              toInsert.map((m) => m.citizenship),
              toInsert.map((m) => m.cellNumber),
              toInsert.map((m) => m.email),
              toInsert.map((m) => m.residentialAddress),
              toInsert.map((m) => m.wardCode),
              toInsert.map((m) => m.municipalityCode),
              toInsert.map((m) => m.districtCode),
              toInsert.map((m) => m.provinceCode),
              toInsert.map((m) => m.status),
              toInsert.map((m) => m.joinedOn),
              toInsert.map((m) => m.lastPaidOn),
              toInsert.map((m) => m.expiresOn),
              toInsert.map((m) => m.consentGiven),
              job.uploadedBy,
              job.id,
            ],
            true,
          )) as QueryResult<{ id_number: string }>;
          const written = new Set(result.records.map((r) => r.id_number.trim()));
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
          const result = (await runner.query(
            UPDATE_SQL,
            [
              toUpdate.map((m) => m.memberId),
              toUpdate.map((m) => m.firstNames),
              toUpdate.map((m) => m.surname),
              toUpdate.map((m) => m.cellNumber),
              toUpdate.map((m) => m.email),
              toUpdate.map((m) => m.residentialAddress),
              toUpdate.map((m) => JSON.stringify(m.changes)),
              job.id,
              job.uploadedBy,
            ],
            true,
          )) as QueryResult<{ id: string }>;
          updated = result.records.length;
        }
      }
      if (rejected.length > 0) {
        await runner.query(REJECT_SQL, [
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
          runner,
          job.uploadedBy,
          conflicts.map(({ row, memberId }) => ({
            source: RegistrationConflictSource.Import,
            memberId,
            area: row,
            importId: job.id,
            rowNumber: row.rowNumber,
          })),
        );
        const counter = conflictCounter(this.metrics);
        counter.inc({ outcome: 'recorded' }, conflicts.length);
        if (count > limit) {
          counter.inc({ outcome: 'limited' });
          // This batch rolls back; the attempt itself stays on record.
          await this.audit.record({
            action: 'registration_conflict.limit_reached',
            entityType: 'member_import',
            entityId: job.id,
            actorUserId: job.uploadedBy,
            provinceCode: job.provinceCode,
            changes: { refusedRows: conflicts.length, limit },
          });
          throw new ImportFailure(conflictLimitReached(limit).detail + '.');
        }
      }
      const total = batch.members.length + batch.rejected.length;
      const counters = (await runner.query(
        `UPDATE member_import_jobs SET total_rows = total_rows + $2, valid_rows = valid_rows + $3,
           inserted_rows = inserted_rows + $4, updated_rows = updated_rows + $5, rejected_rows = rejected_rows + $6,
           duplicate_rows = duplicate_rows + $7, committed_through_row = $8, updated_at = now()
         WHERE id = $1
         RETURNING total_rows, valid_rows, inserted_rows, updated_rows, rejected_rows, duplicate_rows`,
        [
          job.id,
          total,
          total - rejected.length,
          inserted,
          updated,
          rejected.length,
          rejected.filter((r) => r.duplicate).length,
          batch.lastRow,
        ],
        true,
      )) as QueryResult<JobCounters>;
      await runner.commitTransaction();
      job.committedThroughRow = batch.lastRow;
      const c = counters.records[0];
      if (c) {
        // The counters as committed, without reading the job back after every batch.
        job.totalRows = c.total_rows;
        job.validRows = c.valid_rows;
        job.insertedRows = c.inserted_rows;
        job.updatedRows = c.updated_rows;
        job.rejectedRows = c.rejected_rows;
        job.duplicateRows = c.duplicate_rows;
        this.publish(job);
      }
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      // Settle the batch before this one too, so no transaction is left open behind a failure.
      if (previous) await previous.catch(() => undefined);
      throw error;
    }
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
