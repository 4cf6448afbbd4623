import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Logger,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Res,
} from '@nestjs/common';
import type { Response } from 'express';
import {
  ApiAcceptedResponse,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrorCodes, ApiProblems, ErrorCode, Public, StrictThrottle } from '@app/core';
import { CurrentUser, Permission, RequirePermission } from '@app/auth';
import type { AuthUser } from '@app/auth';
import { MemberDto } from '@app/members';
import { CheckoutDto } from '@app/payments';
import { AccountClaimService } from './account-claim.service.js';
import {
  ClaimAcceptedDto,
  ClaimCompletedDto,
  CompleteClaimDto,
  MyMembershipDto,
  RenewalIntentAcceptedDto,
  StartClaimDto,
  UpdateMyContactDto,
} from './dto/portal.dto.js';
import { CreateTransferRequestDto, TransferRequestDto } from './dto/transfer-request.dto.js';
import { MeService } from './me.service.js';
import { TransferRequestsService } from './transfer-requests.service.js';

const ACCEPTED: ClaimAcceptedDto = {
  message:
    'If these details match a membership without an account, a one-time code has been sent to the cell number or email on record.',
};

@ApiTags('me')
@Controller('me')
export class PortalController {
  private readonly logger = new Logger(PortalController.name);

  constructor(
    private readonly claims: AccountClaimService,
    private readonly me: MeService,
    private readonly transfers: TransferRequestsService,
  ) {}

  @Post('claim')
  @Public()
  @StrictThrottle()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiAcceptedResponse({ type: ClaimAcceptedDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.TOO_MANY_REQUESTS)
  @ApiOperation({
    summary: 'Ask for a code to claim your member account',
    description:
      'Give your ID number and membership number. Always answers 202 with the same body, at once, whether or not the pair exists or already has an account (no register oracle). A matching membership without an account gets a 6-digit code, valid 10 minutes and usable once, by SMS to the cell number on record (else by email). Throttled per address (the strict auth limit) and per ID number (5 an hour).',
  })
  startClaim(@Body() body: StartClaimDto): ClaimAcceptedDto {
    // Not awaited: the answer must not wait for (or reveal) whether the pair was found.
    this.claims
      .start(body.idNumber, body.membershipNumber)
      .catch((error: unknown) => this.logger.error(`Account claim failed: ${String(error)}`));
    return ACCEPTED;
  }

  @Post('claim/complete')
  @Public()
  @StrictThrottle()
  @ApiCreatedResponse({ type: ClaimCompletedDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.CONFLICT, HttpStatus.TOO_MANY_REQUESTS)
  @ApiOperation({
    summary: 'Claim your member account with the code',
    description:
      'ID number, membership number, the code, and the password to set (the password policy applies); email defaults to the one on record. Creates a `member` user linked to your membership; then sign in at /auth/login. Wrong, used, expired or unknown details answer 400 alike; 5 wrong codes void the code. A taken email answers 409.',
  })
  completeClaim(@Body() body: CompleteClaimDto): Promise<ClaimCompletedDto> {
    return this.claims.complete(body);
  }

  @Get('membership')
  @RequirePermission(Permission.MeRead)
  @ApiOkResponse({ type: MyMembershipDto })
  @ApiProblems(HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: 'Read your own membership',
    description:
      'Your record, status and expiry, your ward and its chain, your renewals, and your leadership positions (current and past). Always your own (the member linked to your account); 404 when your account has no member.',
  })
  membership(@CurrentUser() user: AuthUser): Promise<MyMembershipDto> {
    return this.me.membership(user);
  }

  @Patch('contact')
  @RequirePermission(Permission.MeWrite)
  @ApiOkResponse({ type: MemberDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
  @ApiOperation({
    summary: 'Update your own contact details',
    description:
      'Cell number (stored as E.164), email and residential address, with the version you read (409 VERSION_CONFLICT when stale). Recorded in your member history and the audit log, like an administrator edit.',
  })
  updateContact(
    @CurrentUser() user: AuthUser,
    @Body() body: UpdateMyContactDto,
  ): Promise<MemberDto> {
    return this.me.updateContact(user, body);
  }

  @Post('contact-objection')
  @RequirePermission(Permission.MeWrite)
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: MemberDto })
  @ApiProblems(HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: 'Object to being contacted',
    description:
      'Sets contactObjectedAt on your record (POPIA): campaigns and reminders leave you out. Messages you ask for (e.g. account codes) still reach you.',
  })
  object(@CurrentUser() user: AuthUser): Promise<MemberDto> {
    return this.me.setContactObjection(user, true);
  }

  @Delete('contact-objection')
  @RequirePermission(Permission.MeWrite)
  @ApiOkResponse({ type: MemberDto })
  @ApiProblems(HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: 'Consent to being contacted again',
    description: 'Clears contactObjectedAt on your record; recorded in history and audit.',
  })
  consent(@CurrentUser() user: AuthUser): Promise<MemberDto> {
    return this.me.setContactObjection(user, false);
  }

  @Post('transfer-requests')
  @RequirePermission(Permission.MeWrite)
  @ApiErrorCodes(HttpStatus.UNPROCESSABLE_ENTITY, ErrorCode.ValidationFailed)
  @ApiErrorCodes(HttpStatus.CONFLICT, ErrorCode.Conflict, ErrorCode.InvalidStatusTransition)
  @ApiCreatedResponse({ type: TransferRequestDto })
  @ApiProblems(
    HttpStatus.BAD_REQUEST,
    HttpStatus.NOT_FOUND,
    HttpStatus.CONFLICT,
    HttpStatus.UNPROCESSABLE_ENTITY,
  )
  @ApiOperation({
    summary: 'Ask to move to another ward',
    description:
      "A pending request that the administrators of the destination ward's area approve or reject; approval moves your membership there (with history). One pending request at a time (a second answers 409 with its requestId). An unknown ward or your own ward answers 422. Deceased or cancelled memberships answer 409.",
  })
  requestTransfer(
    @CurrentUser() user: AuthUser,
    @Body() body: CreateTransferRequestDto,
  ): Promise<TransferRequestDto> {
    return this.me.own(user).then((member) => this.transfers.request(user, member, body));
  }

  @Get('transfer-requests')
  @RequirePermission(Permission.MeRead)
  @ApiOkResponse({ type: [TransferRequestDto] })
  @ApiProblems(HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: 'Your transfer requests',
    description: 'Every transfer request you made, newest first, with its decision.',
  })
  myTransferRequests(@CurrentUser() user: AuthUser): Promise<TransferRequestDto[]> {
    return this.me.own(user).then((member) => this.transfers.mine(member));
  }

  @Post('transfer-requests/:id/cancel')
  @RequirePermission(Permission.MeWrite)
  @ApiErrorCodes(HttpStatus.CONFLICT, ErrorCode.InvalidStatusTransition)
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: TransferRequestDto })
  @ApiProblems(HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
  @ApiOperation({
    summary: 'Withdraw your pending transfer request',
    description:
      'Only your own request (another id answers 404), and only while pending (else 409 INVALID_STATUS_TRANSITION).',
  })
  cancelTransferRequest(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<TransferRequestDto> {
    return this.me.own(user).then((member) => this.transfers.cancel(user, member, id));
  }

  @Post('renewals/checkout')
  @RequirePermission(Permission.MeWrite)
  @ApiErrorCodes(HttpStatus.CONFLICT, ErrorCode.InvalidStatusTransition)
  @ApiExtraModels(RenewalIntentAcceptedDto)
  @ApiCreatedResponse({
    type: CheckoutDto,
    description: 'A PayFast checkout: POST `fields` to `processUrl` from the browser',
  })
  @ApiAcceptedResponse({
    type: RenewalIntentAcceptedDto,
    description: 'Card payments are not configured: your renewal intent is recorded',
  })
  @ApiProblems(HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
  @ApiOperation({
    summary: 'Renew your membership',
    description:
      "Active, grace-period and expired memberships may renew (others answer 409 INVALID_STATUS_TRANSITION). With card payments configured: 201 with the payments module's PayFast checkout for your own membership (the fee MEMBERSHIP_FEE_CENTS); PayFast's notification renews it. Otherwise: 202 with a renewal intent (not a payment; repeated within 24 hours it returns the same intent): pay at your branch or by EFT, and staff record and verify the payment (four eyes).",
  })
  async renew(
    @CurrentUser() user: AuthUser,
    @Res({ passthrough: true }) res: Response,
  ): Promise<CheckoutDto | RenewalIntentAcceptedDto> {
    const started = await this.me.startRenewal(user);
    if (started.kind === 'checkout') return started.checkout;
    res.status(HttpStatus.ACCEPTED);
    return started.accepted;
  }
}
