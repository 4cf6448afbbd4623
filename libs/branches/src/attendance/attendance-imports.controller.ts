import { Body, Controller, HttpStatus, Param, Query, Res, UploadedFile } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentUser, Permission } from '@app/auth';
import type { AuthUser } from '@app/auth';
import { ApiErrorCodes, ApiProblems, ErrorCode, UuidParam } from '@app/core';
import {
  FileFormatQueryDto,
  ImportJobDto,
  ImportReportRoute,
  ImportRetryRoute,
  ImportStatusRoute,
  ImportUploadRoute,
} from '@app/files';
import type { UploadedFile as UploadedUpload } from '@app/files';
import { AttendanceImportUploadDto } from './attendance-import.dto.js';
import { AttendanceImportsService } from './attendance-imports.service.js';

@ApiTags('branches')
@Controller('meetings/:id/attendance/imports')
export class AttendanceImportsController {
  constructor(private readonly imports: AttendanceImportsService) {}

  @ImportUploadRoute({
    permission: Permission.BranchesManage,
    form: AttendanceImportUploadDto,
    job: ImportJobDto,
    existing:
      'This file was already uploaded for this meeting in your area: its existing job (a failed one is resumed)',
    unprocessable: [ErrorCode.MeetingNotEligible],
  })
  @ApiProblems(HttpStatus.FORBIDDEN, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
  @ApiErrorCodes(HttpStatus.CONFLICT, ErrorCode.MeetingLocked)
  @ApiOperation({
    summary: 'Import an attendance register',
    description:
      'multipart/form-data: file (CSV in UTF-8 with , ; or tab, or XLSX) with a Membership Number column (names and other columns are ignored) and dryRun. The rules of POST /meetings/{id}/attendance, row by row: a number must belong to an invitee (a member of the ward, Active or Grace Period on the meeting date; or an office bearer of the structure); unknown, other_ward, not_invited, duplicate (in the file) and already_recorded numbers are rejected rows with their reason in the report, the others are recorded. The meeting must be inside your area (else 403), not verified (409 MEETING_LOCKED), nor cancelled, postponed or in the future (422 MEETING_NOT_ELIGIBLE); a meeting verified while the job runs fails the job. Answers 202 with a job that sends import.progress events; the same file again for this meeting answers 200 with its job.',
  })
  async upload(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @UploadedFile() file: UploadedUpload | undefined,
    @Body() body: AttendanceImportUploadDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ImportJobDto> {
    const { job, created } = await this.imports.upload(actor, id, file, body.dryRun);
    res.status(created ? HttpStatus.ACCEPTED : HttpStatus.OK);
    return this.imports.view(job);
  }

  @ImportStatusRoute(Permission.BranchesRead, ImportJobDto, ':jobId')
  @ApiOperation({
    summary: 'Get an attendance import',
    description:
      'Status and counters (insertedRows = attendees recorded; rejectedRows, of them duplicateRows for duplicates and numbers already recorded). The meeting and the job (uploaded inside your area) must be visible to you, else 404.',
  })
  async get(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @Param('jobId', UuidParam) jobId: string,
  ): Promise<ImportJobDto> {
    return this.imports.view(await this.imports.get(actor, id, jobId));
  }

  @ImportRetryRoute(Permission.BranchesManage, ImportJobDto, ':jobId/retry')
  @ApiProblems(HttpStatus.FORBIDDEN, HttpStatus.UNPROCESSABLE_ENTITY)
  @ApiErrorCodes(HttpStatus.CONFLICT, ErrorCode.MeetingLocked)
  @ApiErrorCodes(HttpStatus.UNPROCESSABLE_ENTITY, ErrorCode.MeetingNotEligible)
  @ApiOperation({
    summary: 'Retry a failed attendance import',
    description:
      'Resumes a failed job after its last committed row (nothing is recorded twice); 409 when the meeting is verified or the file is no longer kept.',
  })
  async retry(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @Param('jobId', UuidParam) jobId: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ImportJobDto> {
    const job = await this.imports.retry(actor, id, jobId);
    res.status(HttpStatus.ACCEPTED);
    return this.imports.view(job);
  }

  @ImportReportRoute(
    Permission.BranchesRead,
    'Every rejected row: row number, duplicate, reasons and the membership number',
    ':jobId/report',
  )
  @ApiOperation({
    summary: "Download an attendance import's rejected rows",
    description:
      'Every rejected row (header = row 1): whether it was a duplicate, the reason (unknown, other_ward, not_invited, duplicate, already_recorded, empty) and the membership number as given. Scoped like GET …/imports/{jobId}.',
  })
  async report(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @Param('jobId', UuidParam) jobId: string,
    @Query() query: FileFormatQueryDto,
    @Res() res: Response,
  ): Promise<void> {
    const job = await this.imports.get(actor, id, jobId);
    await this.imports.writeReport(job, query.format, res);
  }
}
