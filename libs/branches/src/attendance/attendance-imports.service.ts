import type { Writable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { AccessResource, AccessService } from '@app/auth';
import type { AuthUser } from '@app/auth';
import { AppException } from '@app/core';
import type { Page } from '@app/core';
import { FileFormat, ImportJob, ImportJobDto, ImportJobsService, ImportMode } from '@app/files';
import type { UploadedFile } from '@app/files';
import { MeetingsService } from '../meetings.service.js';
import { ATTENDANCE_IMPORT_KIND } from './attendance-import.kind.js';

/**
 * A meeting's attendance register imported through the import engine (`attendance` row kind). The meeting is
 * checked like POST /meetings/{id}/attendance before the job is created (write access, not verified, held on or
 * before today); each batch checks it again under the meeting's row lock.
 */
@Injectable()
export class AttendanceImportsService {
  constructor(
    private readonly imports: ImportJobsService,
    private readonly access: AccessService,
    private readonly meetings: MeetingsService,
  ) {}

  view(job: ImportJob): Promise<ImportJobDto> {
    return this.imports.view(job);
  }

  viewPage(page: Page<ImportJob>): Promise<Page<ImportJobDto>> {
    return this.imports.viewPage(page);
  }

  async upload(
    actor: AuthUser,
    meetingId: string,
    file: UploadedFile | undefined,
    dryRun: boolean,
  ): Promise<{ job: ImportJob; created: boolean }> {
    await this.access.require(actor, AccessResource.Meeting, 'write', [meetingId]);
    this.meetings.requireAttendanceOpen(await this.meetings.load(meetingId));
    return this.imports.upload(ATTENDANCE_IMPORT_KIND, actor, file, {
      mode: ImportMode.Create,
      dryRun,
      parameters: { meetingId },
    });
  }

  /** An attendance import of this meeting, inside the caller's scope; anything else 404. */
  async get(actor: AuthUser, meetingId: string, jobId: string): Promise<ImportJob> {
    await this.access.require(actor, AccessResource.Meeting, 'read', [meetingId]);
    const job = await this.imports.get(ATTENDANCE_IMPORT_KIND, actor, jobId);
    if (job.parameters.meetingId !== meetingId) throw AppException.notFound('Import');
    return job;
  }

  async retry(actor: AuthUser, meetingId: string, jobId: string): Promise<ImportJob> {
    await this.access.require(actor, AccessResource.Meeting, 'write', [meetingId]);
    await this.get(actor, meetingId, jobId);
    this.meetings.requireAttendanceOpen(await this.meetings.load(meetingId));
    return this.imports.retry(ATTENDANCE_IMPORT_KIND, actor, jobId);
  }

  writeReport(
    job: ImportJob,
    format: FileFormat,
    out: Writable & { set?(headers: Record<string, string>): unknown },
  ): Promise<void> {
    return this.imports.writeReport(job, format, out);
  }
}
