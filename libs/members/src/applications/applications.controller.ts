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
import { ApiProblems, Public, StrictThrottle, UuidParam } from '@app/core';
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
} from './application.dto.js';
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
  submit(@Body() body: SubmitApplicationDto): Promise<ApplicationReceivedDto> {
    return this.applications.submit(body);
  }

  @Get()
  @RequirePermission(Permission.ApplicationsRead)
  @ApiOperation({
    summary:
      'A page of the applications in your area; auditors get MinimisedApplicationDto rows. Each page is audited as applications.listed',
  })
  @ApiOkResponse({ type: ApplicationPage })
  @ApiProblems(HttpStatus.BAD_REQUEST)
  list(
    @CurrentUser() actor: AuthUser,
    @Query() query: ListApplicationsQueryDto,
  ): Promise<Page<ApplicationView>> {
    return this.applications.list(actor, query);
  }

  @Get(':id')
  @RequirePermission(Permission.ApplicationsRead)
  @ApiOperation({ summary: 'One application; auditors get MinimisedApplicationDto' })
  @ApiExtraModels(ApplicationDto, MinimisedApplicationDto)
  @ApiOkResponse({ schema: APPLICATION_VIEW_SCHEMA })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
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
    HttpStatus.NOT_FOUND,
    HttpStatus.CONFLICT,
    HttpStatus.TOO_MANY_REQUESTS,
  )
  approve(@CurrentUser() actor: AuthUser, @Param('id', UuidParam) id: string): Promise<MemberDto> {
    return this.applications.approve(actor, id);
  }

  @Post(':id/reject')
  @RequirePermission(Permission.ApplicationsReview)
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: ApplicationDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
  reject(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @Body() body: RejectApplicationDto,
  ): Promise<ApplicationDto> {
    return this.applications.reject(actor, id, body.reason);
  }
}
