import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Permission, RequirePermission } from '@app/auth';
import type { AuthUser } from '@app/auth';
import { ApiProblems, PageOf, UuidParam } from '@app/core';
import type { Page } from '@app/core';
import {
  ListRegistrationConflictsQueryDto,
  RegistrationConflictDto,
  ResolveRegistrationConflictDto,
} from './dto/registration-conflict.dto.js';
import { RegistrationConflictsService } from './registration-conflicts.service.js';

@ApiTags('registration-conflicts')
@Controller('registration-conflicts')
export class RegistrationConflictsController {
  constructor(private readonly conflicts: RegistrationConflictsService) {}

  @Get()
  @RequirePermission(Permission.RegistrationConflictsManage)
  @ApiOkResponse({ type: PageOf(RegistrationConflictDto) })
  @ApiProblems(HttpStatus.BAD_REQUEST)
  @ApiOperation({
    summary: 'List registration conflicts',
    description:
      'Registrations refused with CANNOT_REGISTER_HERE because the ID number is a member elsewhere, newest first, optionally only the open ones. National scope only.',
  })
  list(@Query() query: ListRegistrationConflictsQueryDto): Promise<Page<RegistrationConflictDto>> {
    return this.conflicts.list(query);
  }

  @Post(':id/resolve')
  @RequirePermission(Permission.RegistrationConflictsManage)
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: RegistrationConflictDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
  @ApiOperation({
    summary: 'Resolve a registration conflict',
    description:
      'Records how the conflict was settled (for example after a transfer) and by whom. National scope only.',
  })
  resolve(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @Body() body: ResolveRegistrationConflictDto,
  ): Promise<RegistrationConflictDto> {
    return this.conflicts.resolve(actor, id, body);
  }
}
