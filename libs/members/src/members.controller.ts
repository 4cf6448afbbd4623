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
import { ApiProblems, AppException, PageOf, UuidParam } from '@app/core';
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
  @ApiOperation({
    summary:
      'Register a member. 409 DUPLICATE_ID_NUMBER when already a member in your area; 409 CANNOT_REGISTER_HERE ' +
      'for any reason outside your area (recorded for the national office); 429 REGISTRATION_CONFLICT_LIMIT past ' +
      'REGISTRATION_CONFLICT_LIMIT such refusals in 24 hours',
  })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.CONFLICT, HttpStatus.TOO_MANY_REQUESTS)
  create(@CurrentUser() actor: AuthUser, @Body() body: CreateMemberDto): Promise<MemberDto> {
    return this.members.create(actor, body);
  }

  @Get()
  @RequirePermission(Permission.MembersRead)
  @ApiOperation({
    summary:
      'A page of the members in your area; auditors get MinimisedMemberDto rows. Each page is audited as members.listed',
  })
  @ApiOkResponse({ type: MemberPage })
  @ApiProblems(HttpStatus.BAD_REQUEST)
  list(
    @CurrentUser() actor: AuthUser,
    @Query() query: ListMembersQueryDto,
  ): Promise<Page<MemberView>> {
    return this.members.list(actor, query);
  }

  @Post('status-recalculations')
  @RequirePermission(Permission.MembersWrite)
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Run the daily status recalculation now (national scope only)' })
  @ApiOkResponse({ type: StatusRecalculationResultDto })
  async recalculate(@CurrentUser() actor: AuthUser): Promise<StatusRecalculationResultDto> {
    if (!isNational(actor.scope))
      throw AppException.forbidden('Only national admins may run the status recalculation');
    return this.recalculation.recalculate(actor.id);
  }

  @Get(':id')
  @RequirePermission(Permission.MembersRead)
  @ApiOperation({
    summary: 'One member; auditors get MinimisedMemberDto. Audited as member.viewed',
  })
  @ApiExtraModels(MemberDto, MinimisedMemberDto)
  @ApiOkResponse({ schema: MEMBER_VIEW_SCHEMA })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  get(@CurrentUser() actor: AuthUser, @Param('id', UuidParam) id: string): Promise<MemberView> {
    return this.members.get(actor, id);
  }

  @Patch(':id')
  @RequirePermission(Permission.MembersWrite)
  @ApiOkResponse({ type: MemberDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
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
  changeStatus(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @Body() body: ChangeMemberStatusDto,
  ): Promise<MemberDto> {
    return this.lifecycle.changeStatus(actor, id, body);
  }

  @Post(':id/renewals')
  @RequirePermission(Permission.MembersWrite)
  @ApiCreatedResponse({ type: MemberDto, description: 'The member with the new expiry and status' })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
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
  history(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @Query() query: MemberHistoryQueryDto,
  ): Promise<Page<MemberHistoryEntryDto>> {
    return this.members.history(actor, id, query);
  }
}
