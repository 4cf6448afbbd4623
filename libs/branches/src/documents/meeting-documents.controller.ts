import {
  Body,
  Controller,
  Get,
  HttpStatus,
  Param,
  Post,
  Req,
  Res,
  UploadedFile,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentUser, Permission, RequirePermission } from '@app/auth';
import type { AuthUser } from '@app/auth';
import { ApiErrorCodes, ApiProblems, ErrorCode, UuidParam } from '@app/core';
import { DocumentUpload } from '@app/files';
import type { UploadedDocument } from '@app/files';
import { MeetingDocumentDto, MeetingDocumentUploadDto } from './meeting-document.dto.js';
import { MeetingDocumentsService } from './meeting-documents.service.js';

const BINARY = { schema: { type: 'string', format: 'binary' } } as const;

@ApiTags('branches')
@Controller('meetings')
export class MeetingDocumentsController {
  constructor(private readonly documents: MeetingDocumentsService) {}

  @Post(':id/documents')
  @RequirePermission(Permission.BranchesManage)
  @DocumentUpload(MeetingDocumentUploadDto)
  @ApiCreatedResponse({ type: MeetingDocumentDto, description: 'The new version' })
  @ApiProblems(
    HttpStatus.BAD_REQUEST,
    HttpStatus.FORBIDDEN,
    HttpStatus.NOT_FOUND,
    HttpStatus.CONFLICT,
  )
  @ApiErrorCodes(HttpStatus.CONFLICT, ErrorCode.MeetingLocked)
  @ApiOperation({
    summary: "Upload a meeting's agenda, minutes or decisions (PDF)",
    description:
      'multipart/form-data: file (a PDF recognised by its bytes, else 415; its name and part type must agree, else 422 DOCUMENT_TYPE_MISMATCH; at most DOCUMENT_MAX_BYTES, else 413 with nothing kept) and kind (agenda | minutes | decisions). Each upload of a kind is its next version; earlier versions are kept. Outside your area: 403. A verified meeting is locked: 409 MEETING_LOCKED. Stored with its SHA-256 outside the web root; audited as branches.meeting_document_uploaded.',
  })
  upload(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @UploadedFile() file: UploadedDocument | undefined,
    @Body() body: MeetingDocumentUploadDto,
  ): Promise<MeetingDocumentDto> {
    return this.documents.upload(actor, id, body.kind, file);
  }

  @Get(':id/documents')
  @RequirePermission(Permission.BranchesRead)
  @ApiOkResponse({ type: MeetingDocumentDto, isArray: true })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: "List a meeting's documents",
    description:
      'Every version of every kind (by kind, newest version first; latest marks the newest), with SHA-256, size and type. Outside your area: 404.',
  })
  list(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
  ): Promise<MeetingDocumentDto[]> {
    return this.documents.list(actor, id);
  }

  @Get(':id/documents/:docId')
  @RequirePermission(Permission.BranchesRead)
  @ApiResponse({
    status: HttpStatus.OK,
    description:
      'The PDF (Content-Disposition: attachment; ETag: its SHA-256; X-Content-Type-Options: nosniff)',
    content: { 'application/pdf': BINARY },
  })
  @ApiResponse({ status: HttpStatus.NOT_MODIFIED, description: 'If-None-Match named its ETag' })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: 'Download one version of a meeting document',
    description: 'Outside your area, or not a document of this meeting: 404.',
  })
  async download(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @Param('docId', UuidParam) docId: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await this.documents.download(actor, id, docId, req, res);
  }
}
