import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Permission, RequirePermission } from '@app/auth';
import type { AuthUser } from '@app/auth';
import { ApiProblems, PageOf, UuidParam } from '@app/core';
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
  @ApiOperation({ summary: 'Command structures inside your scope' })
  @ApiOkResponse({ type: PageOf(StructureDto) })
  @ApiProblems(HttpStatus.BAD_REQUEST)
  listStructures(
    @CurrentUser() actor: AuthUser,
    @Query() query: StructureQueryDto,
  ): Promise<Page<StructureDto>> {
    return this.leadership.listStructures(actor, query);
  }

  @Get('leadership/structures/:id')
  @RequirePermission(Permission.LeadershipRead)
  @ApiOperation({ summary: 'A structure with its current holders and vacancies' })
  @ApiOkResponse({ type: StructureDetailDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  getStructure(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
  ): Promise<StructureDetailDto> {
    return this.leadership.getStructure(actor, id);
  }

  @Get('leadership/structures/:id/history')
  @RequirePermission(Permission.LeadershipRead)
  @ApiOperation({ summary: 'Every appointment of a structure, past and present, newest first' })
  @ApiOkResponse({ type: PageOf(AppointmentDto) })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  history(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @Query() query: HistoryQueryDto,
  ): Promise<Page<AppointmentDto>> {
    return this.leadership.history(actor, id, query);
  }

  @Get('leadership/vacancies')
  @RequirePermission(Permission.LeadershipRead)
  @ApiOperation({ summary: 'Positions with vacant seats today, inside your scope' })
  @ApiOkResponse({ type: PageOf(VacancyDto) })
  @ApiProblems(HttpStatus.BAD_REQUEST)
  vacancies(
    @CurrentUser() actor: AuthUser,
    @Query() query: VacancyQueryDto,
  ): Promise<Page<VacancyDto>> {
    return this.leadership.vacancies(actor, query);
  }

  @Post('leadership/appointments')
  @RequirePermission(Permission.LeadershipManage)
  @ApiOperation({
    summary: 'Appoint a member to a position',
    description:
      'The member must be Active and live inside the structure’s area (a War Council deployee: in that ' +
      'province). 409 SEAT_TAKEN names the current holder; 409 ALREADY_IN_STRUCTURE when the member ' +
      'already holds a position there; 422 MEMBER_INELIGIBLE.',
  })
  @ApiCreatedResponse({ type: AppointmentDto })
  @ApiProblems(
    HttpStatus.BAD_REQUEST,
    HttpStatus.NOT_FOUND,
    HttpStatus.CONFLICT,
    HttpStatus.UNPROCESSABLE_ENTITY,
  )
  appoint(
    @CurrentUser() actor: AuthUser,
    @Body() body: CreateAppointmentDto,
  ): Promise<AppointmentDto> {
    return this.leadership.appoint(actor, body);
  }

  @Post('leadership/appointments/:id/end')
  @RequirePermission(Permission.LeadershipManage)
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'End an appointment (sets the end date and reason; history is kept)' })
  @ApiOkResponse({ type: AppointmentDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
  end(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @Body() body: EndAppointmentDto,
  ): Promise<AppointmentDto> {
    return this.leadership.end(actor, id, body);
  }

  @Get('members/:id/positions')
  @RequirePermission(Permission.LeadershipRead)
  @ApiOperation({ summary: 'Every position a member holds or held (404 outside your scope)' })
  @ApiOkResponse({ type: [AppointmentDto] })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  memberPositions(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
  ): Promise<AppointmentDto[]> {
    return this.leadership.memberPositions(actor, id);
  }
}
