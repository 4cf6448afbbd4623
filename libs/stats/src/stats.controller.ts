import { Controller, Get, HttpStatus, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import { CurrentUser, Permission, RequirePermission } from '@app/auth';
import type { AuthUser } from '@app/auth';
import { ApiProblems } from '@app/core';
import {
  GrowthDto,
  GrowthQueryDto,
  MembershipStatsDto,
  MembershipStatsQueryDto,
  StandingDto,
  StandingQueryDto,
} from './dto/stats.dto.js';
import { StatsService } from './stats.service.js';

@ApiTags('stats')
@Controller('stats')
export class StatsController {
  constructor(private readonly stats: StatsService) {}

  @Get('membership')
  @RequirePermission(Permission.StatsRead)
  @ApiOkResponse({ type: MembershipStatsDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: 'Get membership by area',
    description:
      'One row per area of level (children of parentCode): counts by status, gender and age band, and joins in the last 30 and 365 days. Only your part of the country; an area outside your scope is 404. Anonymised members are not counted.',
  })
  membership(
    @CurrentUser() actor: AuthUser,
    @Query() query: MembershipStatsQueryDto,
  ): Promise<MembershipStatsDto> {
    return this.stats.membership(actor, query);
  }

  @Get('standing')
  @RequirePermission(Permission.StatsRead)
  @ApiOkResponse({ type: StandingDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: 'Get good standing of an area',
    description:
      "Wards in good standing (at least GOOD_STANDING_MIN_ACTIVE Active members); per municipality the percentage and whether it is adequately represented (MUNICIPALITY_REPRESENTATION_PCT); and whether the area's assembly may sit (ASSEMBLY_WARD_PCT of its wards in good standing). Scoped: anything outside your area answers 404.",
  })
  standing(@CurrentUser() actor: AuthUser, @Query() query: StandingQueryDto): Promise<StandingDto> {
    return this.stats.standing(actor, query);
  }

  @Get('growth')
  @RequirePermission(Permission.StatsRead)
  @ApiOkResponse({ type: GrowthDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: 'Get membership growth',
    description:
      'Members joined per month or year between from and to, and the running total, for an area inside your scope (404 outside). From materialized views refreshed every STATS_REFRESH_INTERVAL_SECONDS; cached per scope and query.',
  })
  growth(@CurrentUser() actor: AuthUser, @Query() query: GrowthQueryDto): Promise<GrowthDto> {
    return this.stats.growth(actor, query);
  }
}
