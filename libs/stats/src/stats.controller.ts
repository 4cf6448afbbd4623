import { Controller, Get, HttpStatus, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
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
} from './dto.js';
import { StatsService } from './stats.service.js';

@ApiTags('stats')
@Controller('stats')
export class StatsController {
  constructor(private readonly stats: StatsService) {}

  @Get('membership')
  @RequirePermission(Permission.StatsRead)
  @ApiOkResponse({ type: MembershipStatsDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
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
  standing(@CurrentUser() actor: AuthUser, @Query() query: StandingQueryDto): Promise<StandingDto> {
    return this.stats.standing(actor, query);
  }

  @Get('growth')
  @RequirePermission(Permission.StatsRead)
  @ApiOkResponse({ type: GrowthDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  growth(@CurrentUser() actor: AuthUser, @Query() query: GrowthQueryDto): Promise<GrowthDto> {
    return this.stats.growth(actor, query);
  }
}
