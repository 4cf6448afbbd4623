import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Permission, RequirePermission } from '@app/auth';
import type { AuthUser } from '@app/auth';
import { ApiProblems, UuidParam } from '@app/core';
import {
  ErasureResultDto,
  MemberDataExportDto,
  PrivacyStateDto,
  RecordConsentDto,
  RecordObjectionDto,
} from './dto/privacy.dto.js';
import { PrivacyService } from './privacy.service.js';

@ApiTags('privacy')
@Controller('members')
export class PrivacyController {
  constructor(private readonly privacy: PrivacyService) {}

  @Get(':id/data-export')
  @RequirePermission(Permission.MembersDataExport)
  @ApiOperation({
    summary:
      'Everything held about a member (POPIA access request); audited as member.data_exported',
  })
  @ApiOkResponse({ type: MemberDataExportDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  dataExport(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
  ): Promise<MemberDataExportDto> {
    return this.privacy.dataExport(actor, id);
  }

  @Post(':id/consent')
  @RequirePermission(Permission.MembersWrite)
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Record that the member gave (or withdrew) consent to processing' })
  @ApiOkResponse({ type: PrivacyStateDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
  consent(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @Body() body: RecordConsentDto,
  ): Promise<PrivacyStateDto> {
    return this.privacy.recordConsent(actor, id, body);
  }

  @Post(':id/objection')
  @RequirePermission(Permission.MembersWrite)
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Record that the member objects (or no longer objects) to being contacted',
  })
  @ApiOkResponse({ type: PrivacyStateDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
  objection(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @Body() body: RecordObjectionDto,
  ): Promise<PrivacyStateDto> {
    return this.privacy.recordObjection(actor, id, body);
  }

  @Post(':id/erasure')
  @RequirePermission(Permission.MembersErase)
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary:
      'Anonymise a cancelled or deceased member after MEMBER_RETENTION_DAYS (409 MEMBER_NOT_ERASABLE, RETENTION_NOT_ELAPSED, MEMBER_ERASED)',
  })
  @ApiOkResponse({ type: ErasureResultDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
  erase(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
  ): Promise<ErasureResultDto> {
    return this.privacy.erase(actor, id);
  }
}
