import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Permission, RequirePermission } from '@app/auth';
import type { AuthUser } from '@app/auth';
import { ApiProblems, PageOf, UuidParam, ApiErrorCodes, ErrorCode } from '@app/core';
import type { Page } from '@app/core';
import {
  AppointmentDto,
  CreateAppointmentDto,
  EndAppointmentDto,
  HistoryQueryDto,
  StructureDetailDto,
  StructureDto,
  StructureQueryDto,
  VacancyDto,
  VacancyQueryDto,
} from './dto/leadership.dto.js';
import { LeadershipService } from './leadership.service.js';

@ApiTags('leadership')
@Controller()
export class LeadershipController {
  constructor(private readonly leadership: LeadershipService) {}

  @Get('leadership/structures')
  @RequirePermission(Permission.LeadershipRead)
  @ApiOkResponse({ type: PageOf(StructureDto) })
  @ApiProblems(HttpStatus.BAD_REQUEST)
  @ApiOperation({
    summary: 'List command structures',
    description:
      'Structures inside your scope: one per area and level (BCT per ward, SRCT per municipality, RCT per district, PCT per province, the CCT and the War Council).',
  })
  listStructures(
    @CurrentUser() actor: AuthUser,
    @Query() query: StructureQueryDto,
  ): Promise<Page<StructureDto>> {
    return this.leadership.listStructures(actor, query);
  }

  @Get('leadership/structures/:id')
  @RequirePermission(Permission.LeadershipRead)
  @ApiOkResponse({ type: StructureDetailDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: 'Get a structure with its holders',
    description:
      'A structure with every position, its current holders and vacant seats. Open appointments carry flags (member_not_active, member_outside_area) computed on every read. Scoped: anything outside your area answers 404.',
  })
  getStructure(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
  ): Promise<StructureDetailDto> {
    return this.leadership.getStructure(actor, id);
  }

  @Get('leadership/structures/:id/history')
  @RequirePermission(Permission.LeadershipRead)
  @ApiOkResponse({ type: PageOf(AppointmentDto) })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: "List a structure's appointments",
    description:
      'Every appointment of the structure, past and present, newest first. Scoped: anything outside your area answers 404.',
  })
  history(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @Query() query: HistoryQueryDto,
  ): Promise<Page<AppointmentDto>> {
    return this.leadership.history(actor, id, query);
  }

  @Get('leadership/vacancies')
  @RequirePermission(Permission.LeadershipRead)
  @ApiOkResponse({ type: PageOf(VacancyDto) })
  @ApiProblems(HttpStatus.BAD_REQUEST)
  @ApiOperation({
    summary: 'List vacant positions',
    description: 'Positions with vacant seats today in structures inside your scope.',
  })
  vacancies(
    @CurrentUser() actor: AuthUser,
    @Query() query: VacancyQueryDto,
  ): Promise<Page<VacancyDto>> {
    return this.leadership.vacancies(actor, query);
  }

  @Post('leadership/appointments')
  @RequirePermission(Permission.LeadershipManage)
  @ApiCreatedResponse({ type: AppointmentDto })
  @ApiProblems(
    HttpStatus.BAD_REQUEST,
    HttpStatus.NOT_FOUND,
    HttpStatus.CONFLICT,
    HttpStatus.UNPROCESSABLE_ENTITY,
  )
  @ApiOperation({
    summary: 'Appoint a member to a position',
    description:
      "The member must be Active and live inside the structure's area (a War Council deployee: in that province), else 422 MEMBER_INELIGIBLE. A single-holder position (or every seat of one) already held for those dates is 409 SEAT_TAKEN naming the holder; a member already in the structure for those dates is 409 ALREADY_IN_STRUCTURE. The database guarantees both under concurrency. Needs leadership:manage inside your area at or below your level (the CCT and the War Council need national scope).",
  })
  @ApiErrorCodes(HttpStatus.CONFLICT, ErrorCode.SeatTaken, ErrorCode.AlreadyInStructure)
  @ApiErrorCodes(HttpStatus.UNPROCESSABLE_ENTITY, ErrorCode.MemberIneligible)
  appoint(
    @CurrentUser() actor: AuthUser,
    @Body() body: CreateAppointmentDto,
  ): Promise<AppointmentDto> {
    return this.leadership.appoint(actor, body);
  }

  @Post('leadership/appointments/:id/end')
  @RequirePermission(Permission.LeadershipManage)
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: AppointmentDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
  @ApiOperation({
    summary: 'End an appointment',
    description:
      "Sets the end date (exclusive) and a reason (term_ended, resigned, removed, deceased, ...). Nothing is deleted: the appointment stays in the structure's history. Needs leadership:manage inside your area at or below your level.",
  })
  end(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @Body() body: EndAppointmentDto,
  ): Promise<AppointmentDto> {
    return this.leadership.end(actor, id, body);
  }

  @Get('members/:id/positions')
  @RequirePermission(Permission.LeadershipRead)
  @ApiOkResponse({ type: [AppointmentDto] })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: "List a member's positions",
    description:
      'Every position a member holds or held. Scoped: anything outside your area answers 404.',
  })
  memberPositions(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
  ): Promise<AppointmentDto[]> {
    return this.leadership.memberPositions(actor, id);
  }
}
