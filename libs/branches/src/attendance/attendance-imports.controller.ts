import {
  Body,
  Controller,
  Get,
  HttpStatus,
  Param,
  Post,
  Query,
  Res,
  UploadedFile,
  UseInterceptors,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentUser, Permission, RequirePermission } from '@app/auth';
import type { AuthUser } from '@app/auth';
import {
  ApiErrorCodes,
  ApiFileResponse,
  ApiMultipartBody,
  ApiProblems,
  ErrorCode,
  FileMediaType,
  UuidParam,
} from '@app/core';
import { ImportJob, UploadCleanupInterceptor } from '@app/files';
import type { UploadedFile as UploadedUpload } from '@app/files';
import { FileFormatQueryDto, ImportJobDto, toImportJobDto } from '@app/members';
import { AttendanceImportUploadDto } from './attendance-import.dto.js';
import { AttendanceImportsService } from './attendance-imports.service.js';

@ApiTags('branches')
@Controller('meetings/:id/attendance/imports')
export class AttendanceImportsController {
  constructor(private readonly imports: AttendanceImportsService) {}

  private async dto(job: ImportJob): Promise<ImportJobDto> {
    const positions = await this.imports.queuePositions([job]);
    return toImportJobDto(job, positions.get(job.id) ?? null);
  }

  @Post()
  @RequirePermission(Permission.BranchesManage)
  @UseInterceptors(FileInterceptor('file'), UploadCleanupInterceptor)
  @ApiMultipartBody(AttendanceImportUploadDto)
  @ApiAcceptedResponse({
    type: ImportJobDto,
    description: 'A new import job; it runs in the background',
  })
  @ApiOkResponse({
    type: ImportJobDto,
    description:
      'This file was already uploaded for this meeting in your area: its existing job (a failed one is resumed)',
  })
  @ApiProblems(
    HttpStatus.BAD_REQUEST,
    HttpStatus.FORBIDDEN,
    HttpStatus.NOT_FOUND,
    HttpStatus.CONFLICT,
    HttpStatus.PAYLOAD_TOO_LARGE,
    HttpStatus.UNSUPPORTED_MEDIA_TYPE,
    HttpStatus.UNPROCESSABLE_ENTITY,
  )
  @ApiErrorCodes(HttpStatus.CONFLICT, ErrorCode.MeetingLocked)
  @ApiErrorCodes(
    HttpStatus.UNPROCESSABLE_ENTITY,
    ErrorCode.MeetingNotEligible,
    ErrorCode.CompressionRatioTooHigh,
  )
  @ApiErrorCodes(
    HttpStatus.PAYLOAD_TOO_LARGE,
    ErrorCode.PayloadTooLarge,
    ErrorCode.UncompressedTooLarge,
  )
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
    return this.dto(job);
  }

  @Get(':jobId')
  @RequirePermission(Permission.BranchesRead)
  @ApiOkResponse({ type: ImportJobDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
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
    return this.dto(await this.imports.get(actor, id, jobId));
  }

  @Post(':jobId/retry')
  @RequirePermission(Permission.BranchesManage)
  @ApiAcceptedResponse({ type: ImportJobDto, description: 'Resumed after the last committed row' })
  @ApiProblems(
    HttpStatus.BAD_REQUEST,
    HttpStatus.FORBIDDEN,
    HttpStatus.NOT_FOUND,
    HttpStatus.CONFLICT,
    HttpStatus.UNPROCESSABLE_ENTITY,
  )
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
    return this.dto(job);
  }

  @Get(':jobId/report')
  @RequirePermission(Permission.BranchesRead)
  @ApiFileResponse([FileMediaType.Csv, FileMediaType.Xlsx], {
    description: 'Every rejected row: row number, duplicate, reasons and the membership number',
  })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
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
