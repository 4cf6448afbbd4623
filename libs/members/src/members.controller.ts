import { MemberLifecycleService } from './member-lifecycle.service.js';
import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentUser, Permission, RequirePermission, isNational } from '@app/auth';
import type { AuthUser } from '@app/auth';
import { ApiProblems, AppException, PageOf, UuidParam, ApiErrorCodes, ErrorCode } from '@app/core';
import type { Page } from '@app/core';
import { CreateMemberDto } from './dto/create-member.dto.js';
import {
  ChangeMemberStatusDto,
  ListMembersQueryDto,
  MemberDto,
  MemberHistoryEntryDto,
  MemberHistoryQueryDto,
  RenewMembershipDto,
  StatusRecalculationResultDto,
  TransferMemberDto,
  UpdateMemberDto,
} from './dto/member.dto.js';
import {
  MEMBER_VIEW_SCHEMA,
  MemberPage,
  MemberView,
  MinimisedMemberDto,
} from './dto/minimised.dto.js';
import { MembersService } from './members.service.js';
import { StatusRecalculationService } from './status-recalculation.service.js';

@ApiTags('members')
@Controller('members')
export class MembersController {
  constructor(
    private readonly members: MembersService,
    private readonly lifecycle: MemberLifecycleService,
    private readonly recalculation: StatusRecalculationService,
  ) {}

  @Post()
  @RequirePermission(Permission.MembersWrite)
  @ApiCreatedResponse({ type: MemberDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.CONFLICT, HttpStatus.TOO_MANY_REQUESTS)
  @ApiOperation({
    summary: 'Register a member',
    description:
      'Validates the ID number (13 digits, real date, citizenship digit, Luhn) and derives date of birth, gender and citizenship from it; the cell number is stored in E.164. joinedOn defaults to today and lastPaidOn to joinedOn (paid on joining); neither may be after today. The status and expiry follow from the dates. The membership number is assigned by the database. 409 DUPLICATE_ID_NUMBER (with the membership number) when already a member in your area; 409 CANNOT_REGISTER_HERE for any reason outside your area (recorded for the national office); 429 REGISTRATION_CONFLICT_LIMIT past REGISTRATION_CONFLICT_LIMIT such refusals in 24 hours. A ward outside your area is 403.',
  })
  @ApiErrorCodes(HttpStatus.CONFLICT, ErrorCode.DuplicateIdNumber, ErrorCode.CannotRegisterHere)
  @ApiErrorCodes(
    HttpStatus.TOO_MANY_REQUESTS,
    ErrorCode.RateLimited,
    ErrorCode.RegistrationConflictLimit,
  )
  create(@CurrentUser() actor: AuthUser, @Body() body: CreateMemberDto): Promise<MemberDto> {
    return this.members.create(actor, body);
  }

  @Get()
  @RequirePermission(Permission.MembersRead)
  @ApiOkResponse({ type: MemberPage })
  @ApiProblems(HttpStatus.BAD_REQUEST)
  @ApiOperation({
    summary: 'List members',
    description:
      'A keyset page (no OFFSET, no total) of the members in your area. q matches a 13-digit ID number, an EFF membership number or a cell number exactly, or names containing it (3 to 100 characters). status takes one or several comma-separated statuses; area codes only narrow your area (another province gives an empty page). Auditors get MinimisedMemberDto rows. Each page is audited as members.listed.',
  })
  @ApiErrorCodes(
    HttpStatus.BAD_REQUEST,
    ErrorCode.ValidationFailed,
    ErrorCode.MalformedJson,
    ErrorCode.InvalidCursor,
  )
  list(
    @CurrentUser() actor: AuthUser,
    @Query() query: ListMembersQueryDto,
  ): Promise<Page<MemberView>> {
    return this.members.list(actor, query);
  }

  @Post('status-recalculations')
  @RequirePermission(Permission.MembersWrite)
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: StatusRecalculationResultDto })
  @ApiOperation({
    summary: 'Recalculate member statuses now',
    description:
      'Runs the daily status recalculation (Active -> Grace Period -> Expired by expiry date) now and answers { ran, asOf, toGracePeriod, toExpired }; ran is false when another process holds the lock. National scope with members:write only. Publishes no per-member events.',
  })
  async recalculate(@CurrentUser() actor: AuthUser): Promise<StatusRecalculationResultDto> {
    if (!isNational(actor.scope))
      throw AppException.forbidden('Only national admins may run the status recalculation');
    return this.recalculation.recalculate(actor.id);
  }

  @Get(':id')
  @RequirePermission(Permission.MembersRead)
  @ApiExtraModels(MemberDto, MinimisedMemberDto)
  @ApiOkResponse({ schema: MEMBER_VIEW_SCHEMA })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: 'Get a member',
    description:
      'One member inside your area (404 outside). Auditors get MinimisedMemberDto. Audited as member.viewed.',
  })
  get(@CurrentUser() actor: AuthUser, @Param('id', UuidParam) id: string): Promise<MemberView> {
    return this.members.get(actor, id);
  }

  @Patch(':id')
  @RequirePermission(Permission.MembersWrite)
  @ApiOkResponse({ type: MemberDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
  @ApiOperation({
    summary: 'Update a member',
    description:
      'Names, contact details and address. Send the version you read: a stale one answers 409 VERSION_CONFLICT. The ward never changes here (use transfer). An erased member answers 409 MEMBER_ERASED. Audited with a masked diff and recorded in the history.',
  })
  @ApiErrorCodes(HttpStatus.CONFLICT, ErrorCode.VersionConflict, ErrorCode.MemberErased)
  update(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @Body() body: UpdateMemberDto,
  ): Promise<MemberDto> {
    return this.members.update(actor, id, body);
  }

  @Post(':id/status')
  @RequirePermission(Permission.MembersWrite)
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: MemberDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
  @ApiOperation({
    summary: "Change a member's status",
    description:
      'action suspend, cancel, reinstate or deceased, with a reason. Active, Grace Period and Expired follow from the dates (Active until expiry, Grace Period for GRACE_PERIOD_DAYS after it, then Expired); reinstating gives the status the dates imply. An action the current status does not allow is 409 INVALID_STATUS_TRANSITION. Scoped: anything outside your area answers 404.',
  })
  @ApiErrorCodes(HttpStatus.CONFLICT, ErrorCode.InvalidStatusTransition, ErrorCode.MemberErased)
  changeStatus(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @Body() body: ChangeMemberStatusDto,
  ): Promise<MemberDto> {
    return this.lifecycle.changeStatus(actor, id, body);
  }

  @Post(':id/renewals')
  @RequirePermission(Permission.MembersManualRenewal)
  @ApiCreatedResponse({ type: MemberDto, description: 'The member with the new expiry and status' })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
  @ApiOperation({
    summary: 'Manual renewal (national admins)',
    description:
      'An explicit, audited manual renewal that takes effect at once without a verified payment: national and super admins only (members:manual_renewal), with a required reason (audited as member.manual_renewal and shown in the history). Every other renewal is a payment recorded with POST /payments and verified by a second user (four eyes) or confirmed by the card gateway. Takes paidOn (not in the future), reference (unique; a repeat is 409) and amountCents (default MEMBERSHIP_FEE_CENTS). The expiry becomes the later of the current expiry and paidOn + MEMBERSHIP_PERIOD_MONTHS, which re-activates Grace Period and Expired members. Suspended, Cancelled and Deceased members cannot renew (409).',
  })
  @ApiErrorCodes(
    HttpStatus.CONFLICT,
    ErrorCode.Conflict,
    ErrorCode.InvalidStatusTransition,
    ErrorCode.MemberErased,
  )
  renew(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @Body() body: RenewMembershipDto,
  ): Promise<MemberDto> {
    return this.lifecycle.renew(actor, id, body);
  }

  @Post(':id/transfer')
  @RequirePermission(Permission.MembersWrite)
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: MemberDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
  @ApiOperation({
    summary: 'Transfer a member to another ward',
    description:
      "Moves the member to toWardCode (inside your area, else 403) with an optional reason, keeping a transfer record and updating the member's area. Published as member.transferred with the previous area. Scoped: anything outside your area answers 404.",
  })
  transfer(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @Body() body: TransferMemberDto,
  ): Promise<MemberDto> {
    return this.lifecycle.transfer(actor, id, body);
  }

  @Get(':id/history')
  @RequirePermission(Permission.MembersRead)
  @ApiOkResponse({ type: PageOf(MemberHistoryEntryDto) })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: "List a member's history",
    description:
      "A keyset page of the member's history (created, updated with a masked diff, status_changed, renewed, transferred, consent and objection changes), newest first; order=asc for oldest first. fromStatus and toStatus are null on entries that did not change the status. Scoped: anything outside your area answers 404.",
  })
  history(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @Query() query: MemberHistoryQueryDto,
  ): Promise<Page<MemberHistoryEntryDto>> {
    return this.members.history(actor, id, query);
  }
}
