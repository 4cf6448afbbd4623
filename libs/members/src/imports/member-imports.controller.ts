import { Body, Controller, HttpStatus, Param, Query, Res, UploadedFile } from '@nestjs/common';
import { ApiTags, ApiOperation } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentUser, Permission } from '@app/auth';
import type { AuthUser } from '@app/auth';
import { UuidParam } from '@app/core';
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
import { ImportUploadDto } from './dto/import.dto.js';
import { TEMPLATE_COLUMNS } from './import-columns.js';
import { MemberImportsService } from './member-imports.service.js';

@ApiTags('member-imports')
@Controller('members/imports')
export class MemberImportsController {
  constructor(private readonly imports: MemberImportsService) {}

  @ImportUploadRoute({
    permission: Permission.MembersImport,
    form: ImportUploadDto,
    job: ImportJobDto,
    existing:
      'This file was already uploaded in your area: its existing job (a failed one is resumed)',
  })
  @ApiOperation({
    summary: 'Upload a register to import',
    description:
      'multipart/form-data: file (CSV in UTF-8 with , ; or tab, or XLSX: recognised by its bytes, else 415), mode (create: an existing ID number is a duplicate; upsert: update that member inside your area) and dryRun. Every row is validated like a single create; the ward must be inside your area. Answers 202 with a new job that runs in the background and sends import.progress events; the same file again (same hash, scope and mode, not a dry run) answers 200 with the existing job, resuming it if it failed. An XLSX unpacking beyond IMPORT_MAX_UNCOMPRESSED_BYTES is 413 UNCOMPRESSED_TOO_LARGE; a part compressed beyond IMPORT_MAX_COMPRESSION_RATIO is 422 COMPRESSION_RATIO_TOO_HIGH.',
  })
  async upload(
    @CurrentUser() actor: AuthUser,
    @UploadedFile() file: UploadedUpload | undefined,
    @Body() body: ImportUploadDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ImportJobDto> {
    const { job, created } = await this.imports.upload(actor, file, {
      mode: body.mode,
      dryRun: body.dryRun,
    });
    res.status(created ? HttpStatus.ACCEPTED : HttpStatus.OK);
    return this.imports.view(job);
  }

  @ImportListRoute(Permission.MembersImport, ImportJobDto)
  @ApiOperation({
    summary: 'List import jobs',
    description:
      'A keyset page of the import jobs uploaded inside your scope, newest first. Needs members:import.',
  })
  async list(
    @CurrentUser() actor: AuthUser,
    @Query() query: ListImportsQueryDto,
  ): Promise<Page<ImportJobDto>> {
    return this.imports.viewPage(await this.imports.list(actor, query));
  }

  @ImportTemplateRoute(
    Permission.MembersImport,
    'The register template: the header row and one example row',
  )
  @ApiOperation({
    summary: 'Download the import template',
    description:
      'The register template (CSV or XLSX): the header row and one example row. ID Number, First Names, Surname and Ward Code are required; headers match whatever their case, spaces or common synonyms (ID No, Cell, Ward, ...).',
  })
  async template(@Query() query: FileFormatQueryDto, @Res() res: Response): Promise<void> {
    res.set(downloadHeaders(query.format, 'member-import-template'));
    async function* rows(): AsyncGenerator<string[]> {
      yield TEMPLATE_COLUMNS.map((c) => c.example);
    }
    await writeTable(
      res,
      query.format,
      TEMPLATE_COLUMNS.map((c) => ({ header: c.header })),
      rows(),
    );
  }

  @ImportStatusRoute(Permission.MembersImport, ImportJobDto)
  @ApiOperation({
    summary: 'Get an import job',
    description:
      'Status (queued with queuePosition, running, completed, failed), counters (totalRows = validRows + rejectedRows; duplicateRows is part of rejectedRows; in a dry run insertedRows/updatedRows say what a real run would write) and ignored columns. Scoped: anything outside your area answers 404.',
  })
  async get(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
  ): Promise<ImportJobDto> {
    return this.imports.view(await this.imports.get(actor, id));
  }

  @ImportRetryRoute(Permission.MembersImport, ImportJobDto)
  @ApiOperation({
    summary: 'Retry a failed import',
    description:
      'Resumes a failed job after the last committed row, so nothing is written twice. The file is kept for IMPORT_RETENTION_HOURS; after that the retry answers 409.',
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
    Permission.MembersImport,
    'Every rejected row: row number, reasons, and its non-sensitive fields (ID number masked to its last 4 digits)',
  )
  @ApiOperation({
    summary: "Download an import's rejection report",
    description:
      'Every rejected row: row number (header = row 1), whether it was a duplicate, the reasons, names, ward code and the ID number masked to its last four digits (contact details of rejected rows are never stored). Scoped: anything outside your area answers 404.',
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
