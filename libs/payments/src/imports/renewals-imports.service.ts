import type { Writable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { requireWithinScope } from '@app/auth';
import type { AuthUser } from '@app/auth';
import type { Page } from '@app/core';
import { FileFormat, ImportJob, ImportJobDto, ImportJobsService, ImportMode } from '@app/files';
import type { ListImportsOptions, UploadedFile } from '@app/files';
import { MembersService } from '@app/members';
import { RENEWALS_IMPORT_KIND } from './renewals-import.kind.js';

/**
 * Bulk renewals (the import engine's `renewals` row kind): a file of payments for one declared ward becomes a job;
 * each row becomes a pending payment (four eyes later, as POST /payments) or a rejected row with its reason.
 */
@Injectable()
export class RenewalsImportsService {
  constructor(
    private readonly imports: ImportJobsService,
    private readonly members: MembersService,
  ) {}

  view(job: ImportJob): Promise<ImportJobDto> {
    return this.imports.view(job);
  }

  viewPage(page: Page<ImportJob>): Promise<Page<ImportJobDto>> {
    return this.imports.viewPage(page);
  }

  /** The declared ward must exist (400) and lie inside the uploader's area (403), like a member's ward. */
  async upload(
    actor: AuthUser,
    file: UploadedFile | undefined,
    options: { wardCode: string; dryRun: boolean },
  ): Promise<{ job: ImportJob; created: boolean }> {
    const chain = await this.members.wardChain(options.wardCode);
    requireWithinScope(actor, chain, 'The declared ward is outside your area');
    return this.imports.upload(RENEWALS_IMPORT_KIND, actor, file, {
      mode: ImportMode.Create,
      dryRun: options.dryRun,
      parameters: { wardCode: options.wardCode },
    });
  }

  retry(actor: AuthUser, id: string): Promise<ImportJob> {
    return this.imports.retry(RENEWALS_IMPORT_KIND, actor, id);
  }

  list(actor: AuthUser, options: ListImportsOptions): Promise<Page<ImportJob>> {
    return this.imports.list(RENEWALS_IMPORT_KIND, actor, options);
  }

  get(actor: AuthUser, id: string): Promise<ImportJob> {
    return this.imports.get(RENEWALS_IMPORT_KIND, actor, id);
  }

  writeReport(
    job: ImportJob,
    format: FileFormat,
    out: Writable & { set?(headers: Record<string, string>): unknown },
  ): Promise<void> {
    return this.imports.writeReport(job, format, out);
  }
}
