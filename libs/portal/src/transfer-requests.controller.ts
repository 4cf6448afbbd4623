import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
} from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorCodes, ApiProblems, ErrorCode, Page } from '@app/core';
import { CurrentUser, Permission, RequirePermission } from '@app/auth';
import type { AuthUser } from '@app/auth';
import {
  AdminTransferRequestDto,
  AdminTransferRequestPage,
  ApproveTransferRequestDto,
  ListTransferRequestsQueryDto,
  RejectTransferRequestDto,
} from './dto/transfer-request.dto.js';
import { TransferRequestsService } from './transfer-requests.service.js';

/** Members' transfer requests, for administrators: the destination ward's area decides, the source area reads. */
@ApiTags('members')
@Controller('transfer-requests')
export class TransferRequestsController {
  constructor(private readonly transfers: TransferRequestsService) {}

  @Get()
  @RequirePermission(Permission.MembersRead)
  @ApiOkResponse({ type: AdminTransferRequestPage })
  @ApiProblems(HttpStatus.BAD_REQUEST)
  @ApiOperation({
    summary: 'List transfer requests',
    description:
      'Requests whose destination (incoming: you may decide them) or source (outgoing: read only) ward lies in your area, newest first; filter by status and direction. Keyset-paginated.',
  })
  list(
    @CurrentUser() actor: AuthUser,
    @Query() query: ListTransferRequestsQueryDto,
  ): Promise<Page<AdminTransferRequestDto>> {
    return this.transfers.list(actor, query);
  }

  @Get(':id')
  @RequirePermission(Permission.MembersRead)
  @ApiOkResponse({ type: AdminTransferRequestDto })
  @ApiProblems(HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: 'Read a transfer request',
    description: 'When its destination or source ward lies in your area; otherwise 404.',
  })
  get(
    @CurrentUser() actor: AuthUser,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<AdminTransferRequestDto> {
    return this.transfers.get(actor, id);
  }

  @Post(':id/approve')
  @RequirePermission(Permission.MembersWrite)
  @ApiErrorCodes(
    HttpStatus.CONFLICT,
    ErrorCode.InvalidStatusTransition,
    ErrorCode.Conflict,
    ErrorCode.MemberErased,
  )
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: AdminTransferRequestDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
  @ApiOperation({
    summary: 'Approve a transfer request',
    description:
      "Destination ward's area only (the source area's admins get 403; anyone else 404). In one transaction, with the request locked: the member moves ward (transfer record, history, audit member.transferred), the request becomes approved (audit member.transfer_approved), the member's own account follows. Published as member.transferred. Decided already: 409 INVALID_STATUS_TRANSITION; the member changed ward since asking, or is deceased/cancelled: 409.",
  })
  approve(
    @CurrentUser() actor: AuthUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: ApproveTransferRequestDto,
  ): Promise<AdminTransferRequestDto> {
    return this.transfers.approve(actor, id, body.reason ?? null);
  }

  @Post(':id/reject')
  @RequirePermission(Permission.MembersWrite)
  @ApiErrorCodes(HttpStatus.CONFLICT, ErrorCode.InvalidStatusTransition)
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: AdminTransferRequestDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
  @ApiOperation({
    summary: 'Reject a transfer request',
    description:
      'With a reason (required; the member reads it). Same rules as approve: destination area only, pending only; the member is unchanged. Audited as member.transfer_rejected.',
  })
  reject(
    @CurrentUser() actor: AuthUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: RejectTransferRequestDto,
  ): Promise<AdminTransferRequestDto> {
    return this.transfers.reject(actor, id, body.reason);
  }
}
