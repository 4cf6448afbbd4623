import { Controller, Get, HttpStatus, Param, Post, Req, Res, UploadedFile } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentUser, Permission, RequirePermission } from '@app/auth';
import type { AuthUser } from '@app/auth';
import { ApiErrorCodes, ApiProblems, ErrorCode, UuidParam } from '@app/core';
import { DocumentUpload } from '@app/files';
import type { UploadedDocument } from '@app/files';
import { PaymentReceiptsService } from './payment-receipts.service.js';
import { ReceiptDto, ReceiptUploadDto } from './receipt.dto.js';

const BINARY = { schema: { type: 'string', format: 'binary' } } as const;

@ApiTags('payments')
@Controller('payments')
export class PaymentReceiptsController {
  constructor(private readonly receipts: PaymentReceiptsService) {}

  @Post(':id/receipt')
  @RequirePermission(Permission.PaymentsRecord)
  @DocumentUpload(ReceiptUploadDto)
  @ApiCreatedResponse({ type: ReceiptDto, description: 'The receipt kept (metadata)' })
  @ApiProblems(
    HttpStatus.BAD_REQUEST,
    HttpStatus.FORBIDDEN,
    HttpStatus.NOT_FOUND,
    HttpStatus.CONFLICT,
  )
  @ApiErrorCodes(HttpStatus.CONFLICT, ErrorCode.InvalidStatusTransition)
  @ApiOperation({
    summary: 'Attach a receipt to a payment',
    description:
      "multipart/form-data with one file part: a PDF, JPEG or PNG recognised by its bytes (anything else 415), whose file name extension and part type agree with them (else 422 DOCUMENT_TYPE_MISMATCH), at most DOCUMENT_MAX_BYTES (413; nothing is kept). Only while the payment is pending (409 INVALID_STATUS_TRANSITION): the verifier decides on the evidence as it is. A new upload replaces the earlier receipt (both hashes are audited). The payment's area must be inside your scope (403) and its member too (404). Stored with its SHA-256 outside the web root; audited as payment.receipt_attached and shown in the member's history.",
  })
  attach(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @UploadedFile() file: UploadedDocument | undefined,
  ): Promise<ReceiptDto> {
    return this.receipts.attach(actor, id, file);
  }

  @Get(':id/receipt')
  @RequirePermission(Permission.PaymentsRead)
  @ApiResponse({
    status: HttpStatus.OK,
    description:
      'The receipt file (Content-Disposition: attachment; ETag: its SHA-256; X-Content-Type-Options: nosniff)',
    content: { 'application/pdf': BINARY, 'image/jpeg': BINARY, 'image/png': BINARY },
  })
  @ApiResponse({ status: HttpStatus.NOT_MODIFIED, description: 'If-None-Match named its ETag' })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: "Download a payment's receipt",
    description:
      'Served only to users whose scope covers the payment and its member (404 outside, and 404 when the payment has no receipt), with the Content-Type of its sniffed bytes. Audited as payment.receipt_downloaded.',
  })
  async download(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await this.receipts.download(actor, id, req, res);
  }
}
