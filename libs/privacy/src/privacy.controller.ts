import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Permission, RequirePermission } from '@app/auth';
import type { AuthUser } from '@app/auth';
import { ApiProblems, UuidParam, ApiErrorCodes, ErrorCode } from '@app/core';
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
  @ApiOkResponse({ type: MemberDataExportDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: 'Export everything held about a member',
    description:
      'POPIA access request: the full record, its history, renewals, transfers, leadership positions, applications with the same ID number and accessLog (the newest 1,000 audit events about the member, plus bulk exports that may have included it). Needs members:data_export (every admin role; not auditors). Audited as member.data_exported. Scoped: anything outside your area answers 404.',
  })
  dataExport(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
  ): Promise<MemberDataExportDto> {
    return this.privacy.dataExport(actor, id);
  }

  @Post(':id/consent')
  @RequirePermission(Permission.MembersWrite)
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: PrivacyStateDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
  @ApiOperation({
    summary: 'Record consent to processing',
    description:
      'POPIA: sets (given: true) or clears consentGivenAt; setting it again keeps the first time. Recorded in the history and audited as member.consent_changed. Scoped: anything outside your area answers 404.',
  })
  @ApiErrorCodes(HttpStatus.CONFLICT, ErrorCode.MemberErased)
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
  @ApiOkResponse({ type: PrivacyStateDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
  @ApiOperation({
    summary: 'Record an objection to contact',
    description:
      "POPIA: sets (objects: true, with an optional reason) or clears contactObjectedAt. Exports then leave out the member's contact details. Recorded in the history and audited as member.objection_changed. Scoped: anything outside your area answers 404.",
  })
  @ApiErrorCodes(HttpStatus.CONFLICT, ErrorCode.MemberErased)
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
  @ApiOkResponse({ type: ErasureResultDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
  @ApiOperation({
    summary: "Erase a member's personal data",
    description:
      'POPIA erasure (super admin only): anonymises a Cancelled or Deceased member once MEMBER_RETENTION_DAYS have passed since that status was set. Names, ID number, contact details and address are replaced; gender, ward, status, dates and the membership number stay, so statistics do not change. Refusals are 409 MEMBER_NOT_ERASABLE (currentStatus), RETENTION_NOT_ELAPSED (statusSince, erasableFrom) or MEMBER_ERASED (already done).',
  })
  @ApiErrorCodes(
    HttpStatus.CONFLICT,
    ErrorCode.MemberNotErasable,
    ErrorCode.RetentionNotElapsed,
    ErrorCode.MemberErased,
  )
  erase(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
  ): Promise<ErasureResultDto> {
    return this.privacy.erase(actor, id);
  }
}
