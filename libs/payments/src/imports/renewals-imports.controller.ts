import { Body, Controller, HttpStatus, Param, Query, Res, UploadedFile } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentUser, Permission } from '@app/auth';
import type { AuthUser } from '@app/auth';
import { ApiProblems, UuidParam } from '@app/core';
import type { Page } from '@app/core';
import {
  downloadHeaders,
  FileFormatQueryDto,
  ImportJobDto,
  ImportListRoute,
  ImportReportRoute,
  ImportRetryRoute,
  ImportStatusRoute,
  ImportTemplateRoute,
  ImportUploadRoute,
  ListImportsQueryDto,
  writeTable,
} from '@app/files';
import type { UploadedFile as UploadedUpload } from '@app/files';
import { RenewalsImportUploadDto } from './renewals-import.dto.js';
import { RENEWAL_TEMPLATE_COLUMNS } from './renewals-import.worker.js';
import { RenewalsImportsService } from './renewals-imports.service.js';

@ApiTags('payments')
@Controller('payments/imports')
export class RenewalsImportsController {
  constructor(private readonly imports: RenewalsImportsService) {}

  @ImportUploadRoute({
    permission: Permission.PaymentsRecord,
    form: RenewalsImportUploadDto,
    job: ImportJobDto,
    accepted: 'A new renewals import job',
    existing: 'This file was already uploaded for this ward in your area: its existing job',
  })
  @ApiProblems(HttpStatus.FORBIDDEN)
  @ApiOperation({
    summary: 'Upload a bulk renewals file',
    description:
      'multipart/form-data: file (CSV or XLSX: ID Number, Amount in rands, Paid On, Reference, Method cash | eft | external), wardCode (the ward the file is for; inside your area, else 403) and dryRun. Each row becomes a pending payment, exactly as POST /payments records one (verified later by another user: four eyes), or a rejected row: bad ID number, amount, date or method; no member with that ID number in your area (the same reason whether the member does not exist or is elsewhere); a member of another ward than the declared one; a duplicate reference (in the file or already recorded). Runs in the background like member imports (import.progress events, resumable, GET /payments/imports/{id}/report).',
  })
  async upload(
    @CurrentUser() actor: AuthUser,
    @UploadedFile() file: UploadedUpload | undefined,
    @Body() body: RenewalsImportUploadDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ImportJobDto> {
    const { job, created } = await this.imports.upload(actor, file, {
      wardCode: body.wardCode,
      dryRun: body.dryRun,
    });
    res.status(created ? HttpStatus.ACCEPTED : HttpStatus.OK);
    return this.imports.view(job);
  }

  @ImportListRoute(Permission.PaymentsRecord, ImportJobDto)
  @ApiOperation({
    summary: 'List renewals imports',
    description: 'A keyset page of the renewals imports uploaded inside your scope, newest first.',
  })
  async list(
    @CurrentUser() actor: AuthUser,
    @Query() query: ListImportsQueryDto,
  ): Promise<Page<ImportJobDto>> {
    return this.imports.viewPage(await this.imports.list(actor, query));
  }

  @ImportTemplateRoute(
    Permission.PaymentsRecord,
    'The renewals template: the header row and one example row',
  )
  @ApiOperation({
    summary: 'Download the renewals import template',
    description:
      'ID Number, Amount (rands: 10.00 is R10), Paid On (YYYY-MM-DD), Reference, Method (cash | eft | external).',
  })
  async template(@Query() query: FileFormatQueryDto, @Res() res: Response): Promise<void> {
    res.set(downloadHeaders(query.format, 'renewals-import-template'));
    async function* rows(): AsyncGenerator<string[]> {
      yield RENEWAL_TEMPLATE_COLUMNS.map((c) => c.example);
    }
    await writeTable(
      res,
      query.format,
      RENEWAL_TEMPLATE_COLUMNS.map((c) => ({ header: c.header })),
      rows(),
    );
  }

  @ImportStatusRoute(Permission.PaymentsRecord, ImportJobDto)
  @ApiOperation({
    summary: 'Get a renewals import',
    description:
      'Status and counters (insertedRows = pending payments recorded). Scoped: outside your area 404.',
  })
  async get(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
  ): Promise<ImportJobDto> {
    return this.imports.view(await this.imports.get(actor, id));
  }

  @ImportRetryRoute(Permission.PaymentsRecord, ImportJobDto)
  @ApiOperation({
    summary: 'Retry a failed renewals import',
    description: 'Resumes a failed job after the last committed row, so nothing is recorded twice.',
  })
  async retry(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ImportJobDto> {
    const job = await this.imports.retry(actor, id);
    res.status(HttpStatus.ACCEPTED);
    return this.imports.view(job);
  }

  @ImportReportRoute(
    Permission.PaymentsRecord,
    'Every rejected row: row number, reasons, ID number masked to its last 4 digits',
  )
  @ApiOperation({
    summary: "Download a renewals import's rejection report",
    description:
      'Row (header = row 1), Duplicate, Reasons, ID number (last 4), Amount, Paid On, Reference, Method. Scoped: outside your area 404.',
  })
  async report(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @Query() query: FileFormatQueryDto,
    @Res() res: Response,
  ): Promise<void> {
    const job = await this.imports.get(actor, id);
    await this.imports.writeReport(job, query.format, res);
  }
}
