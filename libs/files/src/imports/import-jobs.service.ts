import { rename, stat, unlink } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuthUser, Scope, ScopeLevel, scoped } from '@app/auth';
import { AppException, AuditService, decodeCursor, Page, toPage } from '@app/core';
import { GeographyLevel, GeographyService, WardChain } from '@app/geography';
import type { FileFormat } from '../file-format.js';
import { inspectUpload } from './import-file.js';
import { ImportJobRunner } from './import-job-runner.js';
import { ImportJobDto, toImportJobDto } from './import-job.dto.js';
import { ImportJob, ImportMode, ImportStatus } from './import-job.entity.js';
import { rejectedRows, writeRejectedReport } from './rejected-report.js';
import type { RejectedRow } from './row-kind.js';

/** A file multer wrote to disk (importUploadOptions). */
export interface UploadedFile {
  path: string;
  size: number;
  originalname: string;
}

export interface ImportJobOptions {
  mode: ImportMode;
  dryRun: boolean;
  /** The kind's job options (a declared ward, a meeting id …): stored on the job, given to the worker. */
  parameters?: Record<string, unknown>;
}

export interface ListImportsOptions {
  limit: number;
  cursor?: string;
}

export function scopeKeyOf(scope: Scope): string {
  return scope.level === ScopeLevel.National ? 'national' : `${scope.level}:${scope.code ?? ''}`;
}

/**
 * Import jobs of any registered row kind: a file becomes a job of that kind; its rows are checked by the kind
 * and committed in batches (ImportJobRunner). Every read is scoped like members and limited to the kind, so a
 * kind's routes never show another kind's jobs.
 */
@Injectable()
export class ImportJobsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly geography: GeographyService,
    private readonly jobs: ImportJobRunner,
  ) {}

  get importDir(): string {
    return this.jobs.importDir;
  }

  /** A job as its routes answer it, with its place in the import queue while queued. */
  async view(job: ImportJob): Promise<ImportJobDto> {
    const positions = await this.jobs.queuePositions([job]);
    return toImportJobDto(job, positions.get(job.id) ?? null);
  }

  /** A page of jobs as their routes answer them (one queue lookup for the page). */
  async viewPage(page: Page<ImportJob>): Promise<Page<ImportJobDto>> {
    const positions = await this.jobs.queuePositions(page.data);
    return {
      data: page.data.map((job) => toImportJobDto(job, positions.get(job.id) ?? null)),
      nextCursor: page.nextCursor,
    };
  }

  /**
   * Accepts an uploaded file as a job of `kind`: 201/202 with a new job, or 200 with the job that already holds
   * this file (same kind, scope, mode and parameters; not a dry run), resuming it if it failed.
   */
  async upload(
    kind: string,
    actor: AuthUser,
    file: UploadedFile | undefined,
    options: ImportJobOptions,
  ): Promise<{ job: ImportJob; created: boolean }> {
    if (!file)
      throw AppException.badRequest('Attach the file as the multipart field "file"', 'file');
    const registration = this.jobs.kinds.get(kind);
    const parameters = options.parameters ?? {};
    let keep = false;
    try {
      const { format, mapping, sha256 } = await inspectUpload(
        file.path,
        file.size,
        this.jobs.zipLimits,
        registration,
      );
      const scopeKey = scopeKeyOf(actor.scope);

      if (!options.dryRun) {
        const existing = await this.dataSource
          .getRepository(ImportJob)
          .createQueryBuilder('j')
          .where('j.scope_key = :scopeKey AND j.file_sha256 = :sha256', { scopeKey, sha256 })
          .andWhere('j.kind = :kind AND j.mode = :mode AND NOT j.dry_run', {
            kind,
            mode: options.mode,
          })
          .andWhere('j.parameters = :parameters::jsonb', { parameters: JSON.stringify(parameters) })
          .orderBy('j.created_at', 'DESC')
          .getOne();
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
      const job = await this.dataSource.getRepository(ImportJob).save({
        kind,
        parameters,
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
        action: `${registration.audit.actionPrefix}.started`,
        entityType: registration.audit.entityType,
        entityId: job.id,
        changes: {
          fileName: job.fileName,
          mode: job.mode,
          dryRun: job.dryRun,
          format,
          ...(Object.keys(parameters).length > 0 ? { parameters } : {}),
        },
        provinceCode: job.provinceCode,
      });
      this.jobs.launch();
      return { job, created: true };
    } finally {
      if (!keep) await unlink(file.path).catch(() => undefined);
    }
  }

  async retry(kind: string, actor: AuthUser, id: string): Promise<ImportJob> {
    const job = await this.get(kind, actor, id);
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

  private async restart(job: ImportJob): Promise<ImportJob> {
    await this.dataSource
      .getRepository(ImportJob)
      .update(
        { id: job.id, status: ImportStatus.Failed },
        { status: ImportStatus.Queued, error: null, finishedAt: null },
      );
    this.jobs.launch();
    return { ...job, status: ImportStatus.Queued, error: null, finishedAt: null };
  }

  async list(kind: string, actor: AuthUser, options: ListImportsOptions): Promise<Page<ImportJob>> {
    const qb = scoped(
      this.dataSource.getRepository(ImportJob).createQueryBuilder('j'),
      actor.scope,
      'j',
    )
      .andWhere('j.kind = :kind', { kind })
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

  /** A job of this kind inside the caller's scope; anything else is 404 (no existence leak). */
  async get(kind: string, actor: AuthUser, id: string): Promise<ImportJob> {
    const job = await scoped(
      this.dataSource.getRepository(ImportJob).createQueryBuilder('j'),
      actor.scope,
      'j',
    )
      .andWhere('j.id = :id AND j.kind = :kind', { id, kind })
      .getOne();
    if (!job) throw AppException.notFound('Import');
    return job;
  }

  /** Rejected rows in row order, a page at a time. */
  rejections(jobId: string): AsyncGenerator<RejectedRow> {
    return rejectedRows(this.dataSource, jobId);
  }

  /** The job's rejected-rows report (rejected-report.ts), with its kind's report columns. */
  async writeReport(
    job: ImportJob,
    format: FileFormat,
    out: Writable & { set?(headers: Record<string, string>): unknown },
  ): Promise<void> {
    await writeRejectedReport(this.dataSource, this.jobs.kinds.get(job.kind), job, format, out);
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
