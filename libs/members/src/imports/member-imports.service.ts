import { rename, stat, unlink } from 'node:fs/promises';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuthUser, Scope, ScopeLevel, scoped } from '@app/auth';
import { AppException, AuditService, decodeCursor, Page, toPage } from '@app/core';
import { GeographyLevel, GeographyService, WardChain } from '@app/geography';
import { inspectUpload } from './import-file.js';
import { ImportJobRunner } from './import-job-runner.js';
import { ImportMode, ImportStatus, MemberImportJob } from './import-job.entity.js';
import { RejectedRow } from './import-row.js';

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
export class MemberImportsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly geography: GeographyService,
    private readonly jobs: ImportJobRunner,
  ) {}

  get importDir(): string {
    return this.jobs.importDir;
  }

  /** 1-based places in the import queue of the given jobs that are queued. */
  queuePositions(jobs: Pick<MemberImportJob, 'id' | 'status'>[]): Promise<Map<string, number>> {
    return this.jobs.queuePositions(jobs);
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
      const { format, mapping, sha256 } = await inspectUpload(
        file.path,
        file.size,
        this.jobs.zipLimits,
      );
      const scopeKey = scopeKeyOf(actor.scope);

      if (!options.dryRun) {
        const existing = await this.dataSource.getRepository(MemberImportJob).findOne({
          where: { scopeKey, fileSha256: sha256, mode: options.mode, dryRun: false },
          order: { createdAt: 'DESC' },
        });
        if (existing) {
          if (existing.status === ImportStatus.Failed) {
            await rename(file.path, this.jobs.jobFile(existing));
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
      await rename(file.path, this.jobs.jobFile(job));
      keep = true;
      await this.audit.record({
        action: 'members.import.started',
        entityType: 'member_import',
        entityId: job.id,
        changes: { fileName: job.fileName, mode: job.mode, dryRun: job.dryRun, format },
        provinceCode: job.provinceCode,
      });
      this.jobs.launch();
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
    const exists = await stat(this.jobs.jobFile(job)).then(
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
    this.jobs.launch();
    return { ...job, status: ImportStatus.Queued, error: null, finishedAt: null };
  }

  async list(actor: AuthUser, options: ListImportsOptions): Promise<Page<MemberImportJob>> {
    const qb = scoped(
      this.dataSource.getRepository(MemberImportJob).createQueryBuilder('j'),
      actor.scope,
      'j',
    )
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
    const job = await scoped(
      this.dataSource.getRepository(MemberImportJob).createQueryBuilder('j'),
      actor.scope,
      'j',
    )
      .andWhere('j.id = :id', { id })
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

  private async scopeChain(scope: Scope): Promise<Partial<WardChain>> {
    if (scope.level === ScopeLevel.National || !scope.code) return {};
    const chain = await this.geography.areaChain(
      scope.level as string as GeographyLevel,
      scope.code,
    );
    if (!chain) throw AppException.forbidden('Your account’s area does not exist');
    return chain;
  }
}
