import type { Writable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import type { AuthUser } from '@app/auth';
import type { Page } from '@app/core';
import { FileFormat, ImportJob, ImportJobDto, ImportJobsService, ImportMode } from '@app/files';
import type { ListImportsOptions, UploadedFile } from '@app/files';
import { MEMBER_IMPORT_KIND } from './member-import.kind.js';

export type { ListImportsOptions, UploadedFile } from '@app/files';
export { scopeKeyOf } from '@app/files';

export interface ImportOptions {
  mode: ImportMode;
  dryRun: boolean;
}

/**
 * Bulk member import: the import engine's `members` row kind (member-import.kind.ts). A file becomes a job; rows
 * are validated like a single create and committed in batches, each batch with the job's counters in one
 * transaction, so a crash never leaves the counters wrong.
 */
@Injectable()
export class MemberImportsService {
  constructor(private readonly imports: ImportJobsService) {}

  get importDir(): string {
    return this.imports.importDir;
  }

  /** 1-based places in the import queue of the given jobs that are queued. */
  view(job: ImportJob): Promise<ImportJobDto> {
    return this.imports.view(job);
  }

  viewPage(page: Page<ImportJob>): Promise<Page<ImportJobDto>> {
    return this.imports.viewPage(page);
  }

  /** Accepts an uploaded file: 201/202 with a new job, or 200 with the job that already holds this file. */
  upload(
    actor: AuthUser,
    file: UploadedFile | undefined,
    options: ImportOptions,
  ): Promise<{ job: ImportJob; created: boolean }> {
    return this.imports.upload(MEMBER_IMPORT_KIND, actor, file, options);
  }

  retry(actor: AuthUser, id: string): Promise<ImportJob> {
    return this.imports.retry(MEMBER_IMPORT_KIND, actor, id);
  }

  list(actor: AuthUser, options: ListImportsOptions): Promise<Page<ImportJob>> {
    return this.imports.list(MEMBER_IMPORT_KIND, actor, options);
  }

  /** A member import inside the caller's scope; anything else is 404 (no existence leak). */
  get(actor: AuthUser, id: string): Promise<ImportJob> {
    return this.imports.get(MEMBER_IMPORT_KIND, actor, id);
  }

  /** The rejected-rows report (the engine's one report writer, with the member report columns). */
  writeReport(
    job: ImportJob,
    format: FileFormat,
    out: Writable & { set?(headers: Record<string, string>): unknown },
  ): Promise<void> {
    return this.imports.writeReport(job, format, out);
  }
}
