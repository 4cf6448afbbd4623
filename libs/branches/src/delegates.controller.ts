import { Body, Controller, Get, HttpStatus, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentUser, Permission, RequirePermission } from '@app/auth';
import type { AuthUser } from '@app/auth';
import {
  ApiErrorCodes,
  ApiFileResponse,
  ApiProblems,
  ErrorCode,
  FileMediaType,
  PageOf,
  UuidParam,
} from '@app/core';
import type { Page } from '@app/core';
import { downloadHeaders } from '@app/files';
import {
  DelegateDto,
  DelegateExportQueryDto,
  DelegateLimitDto,
  DelegateQueryDto,
  ReplaceDelegateDto,
  SelectDelegateDto,
  SetDelegateLimitDto,
} from './dto/branches.dto.js';
import { DelegatesService } from './delegates.service.js';

@ApiTags('branches')
@Controller()
export class DelegatesController {
  constructor(private readonly delegates: DelegatesService) {}

  @Post('wards/:code/delegates')
  @RequirePermission(Permission.BranchesManage)
  @ApiCreatedResponse({ type: DelegateDto })
  @ApiProblems(
    HttpStatus.BAD_REQUEST,
    HttpStatus.NOT_FOUND,
    HttpStatus.CONFLICT,
    HttpStatus.UNPROCESSABLE_ENTITY,
  )
  @ApiErrorCodes(HttpStatus.CONFLICT, ErrorCode.DelegateLimitReached)
  @ApiErrorCodes(
    HttpStatus.UNPROCESSABLE_ENTITY,
    ErrorCode.MeetingNotEligible,
    ErrorCode.MemberIneligible,
  )
  @ApiOperation({
    summary: 'Select a delegate of a ward',
    description:
      "An Active member of the ward, selected at a verified, quorate BGA of that ward (else 422). The ward's limit for the assembly (the most specific delegate limit above it, else 3 for the SRPA and 1 for the PPA and NPA) is enforced under a lock: concurrent selections never exceed it (409 DELEGATE_LIMIT_REACHED). Ward outside your area: 403.",
  })
  select(
    @CurrentUser() actor: AuthUser,
    @Param('code') code: string,
    @Body() body: SelectDelegateDto,
  ): Promise<DelegateDto> {
    return this.delegates.select(actor, code, body);
  }

  @Post('delegates/:id/replacement')
  @RequirePermission(Permission.BranchesManage)
  @ApiCreatedResponse({ type: DelegateDto })
  @ApiProblems(
    HttpStatus.BAD_REQUEST,
    HttpStatus.NOT_FOUND,
    HttpStatus.CONFLICT,
    HttpStatus.UNPROCESSABLE_ENTITY,
  )
  @ApiErrorCodes(
    HttpStatus.UNPROCESSABLE_ENTITY,
    ErrorCode.MeetingNotEligible,
    ErrorCode.MemberIneligible,
  )
  @ApiOperation({
    summary: 'Replace a delegate',
    description:
      'Ends the delegate (kept, with replacedById and the reason) and selects the new member (with replacesId), under the same lock and rules as a selection. A delegate already replaced: 409.',
  })
  replace(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @Body() body: ReplaceDelegateDto,
  ): Promise<DelegateDto> {
    return this.delegates.replace(actor, id, body);
  }

  @Get('delegates')
  @RequirePermission(Permission.BranchesRead)
  @ApiOkResponse({ type: PageOf(DelegateDto) })
  @ApiProblems(HttpStatus.BAD_REQUEST)
  @ApiOperation({
    summary: 'List delegates',
    description:
      'Delegates inside your area by ward, filtered by assembly and area (level + code: province, district (region), municipality (sub-region) or ward); history=true includes replaced ones. Keyset pagination.',
  })
  list(
    @CurrentUser() actor: AuthUser,
    @Query() query: DelegateQueryDto,
  ): Promise<Page<DelegateDto>> {
    return this.delegates.list(actor, query);
  }

  @Get('delegates/export')
  @RequirePermission(Permission.BranchesRead)
  @ApiFileResponse([FileMediaType.Csv, FileMediaType.Xlsx], {
    description: 'Delegates for credentialing',
  })
  @ApiProblems(HttpStatus.BAD_REQUEST)
  @ApiOperation({
    summary: 'Export delegates as CSV or XLSX',
    description:
      'Delegates inside your area for credentialing at the assembly, by province, region, sub-region and ward. Audited.',
  })
  async export(
    @CurrentUser() actor: AuthUser,
    @Query() query: DelegateExportQueryDto,
    @Res() res: Response,
  ): Promise<void> {
    res.set(downloadHeaders(query.format, `delegates-${new Date().toISOString().slice(0, 10)}`));
    await this.delegates.export(actor, query, res);
  }

  @Put('delegate-limits')
  @RequirePermission(Permission.BranchesManage)
  @ApiOkResponse({ type: DelegateLimitDto })
  @ApiProblems(HttpStatus.BAD_REQUEST)
  @ApiOperation({
    summary: 'Set the delegates per ward of an assembly for an area',
    description:
      'For an area at or below your level inside your area (else 403). A ward admin sets no limit (403): the limit binds the ward, so an admin above it sets it. The most specific limit above a ward applies to it.',
  })
  setLimit(
    @CurrentUser() actor: AuthUser,
    @Body() body: SetDelegateLimitDto,
  ): Promise<DelegateLimitDto> {
    return this.delegates.setLimit(actor, body);
  }
}
