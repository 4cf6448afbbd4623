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
import { ApiAcceptedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentUser, Permission, RequirePermission } from '@app/auth';
import type { AuthUser } from '@app/auth';
import {
  ApiFileResponse,
  ApiMultipartBody,
  ApiProblems,
  FileMediaType,
  PageOf,
  UuidParam,
} from '@app/core';
import type { Page } from '@app/core';
import { downloadHeaders, writeTable } from '../exports/table-writer.js';
import {
  FileFormatQueryDto,
  ImportJobDto,
  ImportUploadDto,
  ListImportsQueryDto,
  toImportJobDto,
} from './dto.js';
import { TEMPLATE_COLUMNS } from './import-columns.js';
import type { MemberImportJob } from './import-job.entity.js';
import { MemberImportsService } from './member-imports.service.js';
import type { UploadedFile as UploadedUpload } from './member-imports.service.js';
import { UploadCleanupInterceptor } from './upload-cleanup.interceptor.js';

const REPORT_COLUMNS = [
  { header: 'Row', width: 8 },
  { header: 'Duplicate', width: 10 },
  { header: 'Reasons', width: 80 },
  { header: 'ID Number (last 4)', width: 18 },
  { header: 'First Names', width: 24 },
  { header: 'Surname', width: 24 },
  { header: 'Ward Code', width: 12 },
];

@ApiTags('member-imports')
@Controller('members/imports')
export class MemberImportsController {
  constructor(private readonly imports: MemberImportsService) {}

  private async dto(job: MemberImportJob): Promise<ImportJobDto> {
    const positions = await this.imports.queuePositions([job]);
    return toImportJobDto(job, positions.get(job.id) ?? null);
  }

  @Post()
  @RequirePermission(Permission.MembersImport)
  @UseInterceptors(FileInterceptor('file'), UploadCleanupInterceptor)
  @ApiMultipartBody(ImportUploadDto)
  @ApiAcceptedResponse({
    type: ImportJobDto,
    description: 'A new import job; it runs in the background',
  })
  @ApiOkResponse({
    type: ImportJobDto,
    description:
      'This file was already uploaded in your area: its existing job (a failed one is resumed)',
  })
  @ApiProblems(
    HttpStatus.BAD_REQUEST,
    HttpStatus.PAYLOAD_TOO_LARGE,
    HttpStatus.UNSUPPORTED_MEDIA_TYPE,
    HttpStatus.UNPROCESSABLE_ENTITY,
  )
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
    return this.dto(job);
  }

  @Get()
  @RequirePermission(Permission.MembersImport)
  @ApiOkResponse({ type: PageOf(ImportJobDto) })
  @ApiProblems(HttpStatus.BAD_REQUEST)
  async list(
    @CurrentUser() actor: AuthUser,
    @Query() query: ListImportsQueryDto,
  ): Promise<Page<ImportJobDto>> {
    const page = await this.imports.list(actor, query);
    const positions = await this.imports.queuePositions(page.data);
    return {
      data: page.data.map((job) => toImportJobDto(job, positions.get(job.id) ?? null)),
      nextCursor: page.nextCursor,
    };
  }

  @Get('template')
  @RequirePermission(Permission.MembersImport)
  @ApiFileResponse([FileMediaType.Csv, FileMediaType.Xlsx], {
    description: 'The register template: the header row and one example row',
  })
  @ApiProblems(HttpStatus.BAD_REQUEST)
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

  @Get(':id')
  @RequirePermission(Permission.MembersImport)
  @ApiOkResponse({ type: ImportJobDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  async get(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
  ): Promise<ImportJobDto> {
    return this.dto(await this.imports.get(actor, id));
  }

  @Post(':id/retry')
  @RequirePermission(Permission.MembersImport)
  @ApiAcceptedResponse({ type: ImportJobDto, description: 'Resumed after the last committed row' })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
  async retry(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ImportJobDto> {
    const job = await this.imports.retry(actor, id);
    res.status(HttpStatus.ACCEPTED);
    return this.dto(job);
  }

  @Get(':id/report')
  @RequirePermission(Permission.MembersImport)
  @ApiFileResponse([FileMediaType.Csv, FileMediaType.Xlsx], {
    description:
      'Every rejected row: row number, reasons, and its non-sensitive fields (ID number masked to its last 4 digits)',
  })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  async report(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @Query() query: FileFormatQueryDto,
    @Res() res: Response,
  ): Promise<void> {
    const job = await this.imports.get(actor, id);
    res.set(downloadHeaders(query.format, `import-${job.id}-report`));
    const rejections = this.imports.rejections(job.id);
    async function* rows(): AsyncGenerator<(string | null)[]> {
      for await (const r of rejections) {
        yield [
          String(r.rowNumber),
          r.duplicate ? 'yes' : 'no',
          r.reasons.join('; '),
          r.maskedIdNumber,
          r.firstNames,
          r.surname,
          r.wardCode,
        ];
      }
    }
    await writeTable(res, query.format, REPORT_COLUMNS, rows());
  }
}
