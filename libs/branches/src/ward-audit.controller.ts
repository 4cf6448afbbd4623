import { Body, Controller, Get, HttpStatus, Param, Post, Query, Res } from '@nestjs/common';
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
} from '@app/core';
import type { Page } from '@app/core';
import { downloadHeaders } from '@app/files';
import {
  ApproveComplianceDto,
  AuditRecordDto,
  WardAuditExportQueryDto,
  WardAuditQueryDto,
  WardComplianceDto,
} from './dto/branches.dto.js';
import { WardAuditService } from './ward-audit.service.js';

@ApiTags('branches')
@Controller()
export class WardAuditController {
  constructor(private readonly audits: WardAuditService) {}

  @Get('ward-audits')
  @RequirePermission(Permission.BranchesRead)
  @ApiOkResponse({ type: PageOf(WardComplianceDto) })
  @ApiProblems(HttpStatus.BAD_REQUEST)
  @ApiOperation({
    summary: 'List the wards of an area with their audit state',
    description:
      'Every ward of the area (level + code; default your own area) inside your scope, by ward code, with its five criteria and latest approval. Filters: approved (SQL) and compliant (applied per page, so a page may hold fewer rows; the cursor never skips a ward). Keyset pagination.',
  })
  area(
    @CurrentUser() actor: AuthUser,
    @Query() query: WardAuditQueryDto,
  ): Promise<Page<WardComplianceDto>> {
    return this.audits.area(actor, query);
  }

  @Get('ward-audits/export')
  @RequirePermission(Permission.BranchesRead)
  @ApiFileResponse([FileMediaType.Csv, FileMediaType.Xlsx, FileMediaType.Pdf], {
    description: 'The area view',
  })
  @ApiProblems(HttpStatus.BAD_REQUEST)
  @ApiOperation({
    summary: 'Export the ward audit of an area as CSV, XLSX or PDF',
    description:
      'One row per ward of the area inside your scope: the state of each criterion, compliance and the latest approval (CSV/XLSX through the shared table writer, formula-safe; PDF through the shared PDF layer). Audited.',
  })
  async export(
    @CurrentUser() actor: AuthUser,
    @Query() query: WardAuditExportQueryDto,
    @Res() res: Response,
  ): Promise<void> {
    const name = `ward-audit-${new Date().toISOString().slice(0, 10)}`;
    res.set(
      query.format === 'pdf'
        ? {
            'Content-Type': 'application/pdf',
            'Content-Disposition': `attachment; filename="${name}.pdf"`,
            'Cache-Control': 'no-store',
          }
        : downloadHeaders(query.format, name),
    );
    await this.audits.export(actor, query, res);
  }

  @Get('wards/:code/audit')
  @RequirePermission(Permission.BranchesRead)
  @ApiOkResponse({ type: WardComplianceDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: "Get a ward's compliance",
    description:
      '(1) at least GOOD_STANDING_MIN_ACTIVE Active members (voting districts: not_evaluated until the data exists), (2) the latest held BGA quorate, (3) that meeting verified, (4) a presiding officer and secretary recorded, (5) delegates selected for the SRPA; each with its figures, and the latest approval. Outside your area (or unknown): 404.',
  })
  compliance(
    @CurrentUser() actor: AuthUser,
    @Param('code') code: string,
  ): Promise<WardComplianceDto> {
    return this.audits.compliance(actor, code);
  }

  @Get('wards/:code/audit/report')
  @RequirePermission(Permission.BranchesRead)
  @ApiFileResponse([FileMediaType.Pdf], { description: "The ward's audit report" })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: "Download a ward's audit report (PDF)",
    description:
      'Each criterion with its state and figures, compliance and the latest approval, as a printable PDF (shared PDF layer). Outside your area: 404. Audited.',
  })
  async report(
    @CurrentUser() actor: AuthUser,
    @Param('code') code: string,
    @Res() res: Response,
  ): Promise<void> {
    const audit = await this.audits.compliance(actor, code);
    res.set({
      'Content-Type': 'application/pdf',
      'Content-Disposition': `attachment; filename="ward-audit-${audit.wardCode}.pdf"`,
      'Cache-Control': 'no-store',
    });
    await this.audits.report(actor, code, res);
  }

  @Get('wards/:code/audit/records')
  @RequirePermission(Permission.BranchesRead)
  @ApiOkResponse({ type: [AuditRecordDto] })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: "List a ward's evaluations and approvals",
    description: 'Every recorded evaluation and approval of the ward (newest first, at most 200).',
  })
  records(@CurrentUser() actor: AuthUser, @Param('code') code: string): Promise<AuditRecordDto[]> {
    return this.audits.records(actor, code);
  }

  @Post('wards/:code/audit/evaluations')
  @RequirePermission(Permission.BranchesManage)
  @ApiCreatedResponse({ type: AuditRecordDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: "Record a ward's evaluation",
    description:
      'Evaluates the five criteria now and keeps the result as a ward audit record (and in the audit log).',
  })
  evaluate(@CurrentUser() actor: AuthUser, @Param('code') code: string): Promise<AuditRecordDto> {
    return this.audits.recordEvaluation(actor, code);
  }

  @Post('wards/:code/audit/approvals')
  @RequirePermission(Permission.BranchesVerify)
  @ApiCreatedResponse({ type: AuditRecordDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.UNPROCESSABLE_ENTITY)
  @ApiErrorCodes(HttpStatus.UNPROCESSABLE_ENTITY, ErrorCode.WardNotCompliant)
  @ApiOperation({
    summary: "Approve a ward's compliance",
    description:
      'By an admin above the ward (not ward level; 403) inside whose area it lies (403). A ward that fails a criterion is approved only with exception=true and a reason (else 422 WARD_NOT_COMPLIANT). The evaluation is kept with the approval; audited; published as branch.compliance_approved.',
  })
  approve(
    @CurrentUser() actor: AuthUser,
    @Param('code') code: string,
    @Body() body: ApproveComplianceDto,
  ): Promise<AuditRecordDto> {
    return this.audits.approve(actor, code, body);
  }
}
