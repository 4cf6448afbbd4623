import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentUser, Permission, RequirePermission } from '@app/auth';
import type { AuthUser } from '@app/auth';
import {
  ApiProblems,
  Public,
  StrictThrottle,
  UuidParam,
  ApiErrorCodes,
  ErrorCode,
} from '@app/core';
import type { Page } from '@app/core';
import { MemberDto } from '../dto/member.dto.js';
import {
  APPLICATION_VIEW_SCHEMA,
  ApplicationPage,
  ApplicationView,
  MinimisedApplicationDto,
} from '../dto/minimised.dto.js';
import {
  ApplicationDto,
  ApplicationReceivedDto,
  ListApplicationsQueryDto,
  RejectApplicationDto,
  SubmitApplicationDto,
} from './dto/application.dto.js';
import { ApplicationsService } from './applications.service.js';

@ApiTags('applications')
@Controller('applications')
export class ApplicationsController {
  constructor(private readonly applications: ApplicationsService) {}

  @Post()
  @Public()
  @StrictThrottle()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiAcceptedResponse({
    type: ApplicationReceivedDto,
    description: 'The same answer whether or not the ID number is already known',
  })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.TOO_MANY_REQUESTS)
  @ApiOperation({
    summary: 'Submit a membership application',
    description:
      'Public and strictly throttled (AUTH_THROTTLE_LIMIT). Takes the applicant\'s own details and consent: true, and always answers 202 { status: "received" } whether or not the ID number is known: strangers learn nothing about the register.',
  })
  submit(@Body() body: SubmitApplicationDto): Promise<ApplicationReceivedDto> {
    return this.applications.submit(body);
  }

  @Get()
  @RequirePermission(Permission.ApplicationsRead)
  @ApiOkResponse({ type: ApplicationPage })
  @ApiProblems(HttpStatus.BAD_REQUEST)
  @ApiOperation({
    summary: 'List applications',
    description:
      'A keyset page of the applications of wards inside your area, newest first, optionally by status. Auditors get MinimisedApplicationDto rows. Each page is audited as applications.listed.',
  })
  list(
    @CurrentUser() actor: AuthUser,
    @Query() query: ListApplicationsQueryDto,
  ): Promise<Page<ApplicationView>> {
    return this.applications.list(actor, query);
  }

  @Get(':id')
  @RequirePermission(Permission.ApplicationsRead)
  @ApiExtraModels(ApplicationDto, MinimisedApplicationDto)
  @ApiOkResponse({ schema: APPLICATION_VIEW_SCHEMA })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: 'Get an application',
    description:
      'One application inside your area (404 outside). Reviewers (applications:review) also get duplicates: a member with the same ID number (only when inside your area, else null) and other open applications. Auditors get MinimisedApplicationDto.',
  })
  get(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
  ): Promise<ApplicationView> {
    return this.applications.get(actor, id);
  }

  @Post(':id/review')
  @RequirePermission(Permission.ApplicationsReview)
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: ApplicationDto, description: 'Submitted -> Under Review' })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
  @ApiOperation({
    summary: 'Start reviewing an application',
    description:
      'Moves a Submitted application to Under Review, so other reviewers see it is taken.',
  })
  @ApiErrorCodes(HttpStatus.CONFLICT, ErrorCode.InvalidStatusTransition)
  review(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
  ): Promise<ApplicationDto> {
    return this.applications.review(actor, id);
  }

  @Post(':id/approve')
  @RequirePermission(Permission.ApplicationsReview)
  @ApiCreatedResponse({ type: MemberDto, description: 'The member the approval created' })
  @ApiProblems(
    HttpStatus.BAD_REQUEST,
    HttpStatus.FORBIDDEN,
    HttpStatus.NOT_FOUND,
    HttpStatus.CONFLICT,
    HttpStatus.TOO_MANY_REQUESTS,
  )
  @ApiOperation({
    summary: 'Approve an application (final approval)',
    description:
      'Two-tier approval: only from Financial Review (POST /applications/{id}/financial-review: a verified joining fee confirmed by a finance officer); Submitted or Under Review answer 409 FINANCIAL_REVIEW_REQUIRED. Never by the user who gave the financial review (403, separation of duties). Creates the member in the same transaction (one definition of a new member: no payment date means paid on joining) and answers 201 with it. The application row is locked, so of two simultaneous approvals one wins and the other gets 409.',
  })
  @ApiErrorCodes(
    HttpStatus.CONFLICT,
    ErrorCode.InvalidStatusTransition,
    ErrorCode.FinancialReviewRequired,
    ErrorCode.DuplicateIdNumber,
    ErrorCode.CannotRegisterHere,
  )
  approve(@CurrentUser() actor: AuthUser, @Param('id', UuidParam) id: string): Promise<MemberDto> {
    return this.applications.approve(actor, id);
  }

  @Post(':id/reject')
  @RequirePermission(Permission.ApplicationsReview)
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: ApplicationDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
  @ApiOperation({
    summary: 'Reject an application',
    description:
      'From Submitted or Under Review, with a reason (required, at most 500 characters). The decision is audited and published as application.decided.',
  })
  @ApiErrorCodes(HttpStatus.CONFLICT, ErrorCode.InvalidStatusTransition)
  reject(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @Body() body: RejectApplicationDto,
  ): Promise<ApplicationDto> {
    return this.applications.reject(actor, id, body.reason);
  }
}
