import { Controller, Get, HttpStatus, Query, Res } from '@nestjs/common';
import { ApiPropertyOptional, ApiTags, ApiOperation } from '@nestjs/swagger';
import type { Response } from 'express';
import { IsEnum, IsOptional } from 'class-validator';
import { CurrentUser, Permission, RequirePermission } from '@app/auth';
import type { AuthUser } from '@app/auth';
import { ApiFileResponse, ApiProblems, FileMediaType } from '@app/core';
import { MemberFiltersDto } from '../dto/member.dto.js';
import { FileFormat, downloadHeaders } from '@app/files';
import { MemberExportService } from './member-export.service.js';

export class MemberExportQueryDto extends MemberFiltersDto {
  @ApiPropertyOptional({ enum: FileFormat, enumName: 'FileFormat', default: FileFormat.Csv })
  @IsOptional()
  @IsEnum(FileFormat)
  format: FileFormat = FileFormat.Csv;
}

@ApiTags('members')
@Controller('members/export')
export class MemberExportController {
  constructor(private readonly exports: MemberExportService) {}

  @Get()
  @RequirePermission(Permission.MembersExport)
  @ApiFileResponse([FileMediaType.Csv, FileMediaType.Xlsx], {
    description:
      'Members matching the list filters inside your area, streamed. Auditors get no ID numbers, dates of ' +
      'birth or contact details; members who objected to contact have none for anyone; anonymised members ' +
      'are left out. Every export is audited.',
  })
  @ApiProblems(HttpStatus.BAD_REQUEST)
  @ApiOperation({
    summary: 'Export members as CSV or XLSX',
    description:
      "The member list's filters with the same meaning, always inside your scope, streamed (format=csv or xlsx). POPIA: auditors get no ID numbers, dates of birth or contact details; members who objected to contact have none for anyone; anonymised members are left out; cells that a spreadsheet would evaluate as a formula get a leading apostrophe. Every export is audited as members.exported.",
  })
  async export(
    @CurrentUser() actor: AuthUser,
    @Query() query: MemberExportQueryDto,
    @Res() res: Response,
  ): Promise<void> {
    const { format, ...filters } = query;
    res.set(downloadHeaders(format, `members-${new Date().toISOString().slice(0, 10)}`));
    await this.exports.export(actor, filters, format, res);
  }
}
