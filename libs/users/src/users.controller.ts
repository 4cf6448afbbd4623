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
import { ApiCreatedResponse, ApiOkResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import { Authenticated, CurrentUser, Permission, RequirePermission } from '@app/auth';
import type { AuthUser } from '@app/auth';
import { ApiProblems, PageOf, UuidParam } from '@app/core';
import type { Page } from '@app/core';
import {
  CreateUserDto,
  ListUsersQueryDto,
  ResetPasswordResponseDto,
  UpdateProfileDto,
  UpdateUserDto,
  UserDto,
} from './dto/user.dto.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @ApiOperation({ summary: 'Create a user (staff account) within your scope' })
  @RequirePermission(Permission.UsersManage)
  @ApiCreatedResponse({ type: UserDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.CONFLICT)
  create(@CurrentUser() actor: AuthUser, @Body() body: CreateUserDto): Promise<UserDto> {
    return this.users.create(actor, body);
  }

  @Get()
  @ApiOperation({ summary: 'List users within your scope' })
  @RequirePermission(Permission.UsersRead)
  @ApiOkResponse({ type: PageOf(UserDto) })
  @ApiProblems(HttpStatus.BAD_REQUEST)
  list(@CurrentUser() actor: AuthUser, @Query() query: ListUsersQueryDto): Promise<Page<UserDto>> {
    return this.users.list(actor, query);
  }

  @Patch('me')
  @ApiOperation({ summary: 'Update your own profile' })
  @Authenticated()
  @ApiOkResponse({
    type: UserDto,
    description: 'Your own profile; role and scope cannot be changed here',
  })
  @ApiProblems(HttpStatus.BAD_REQUEST)
  updateProfile(@CurrentUser() actor: AuthUser, @Body() body: UpdateProfileDto): Promise<UserDto> {
    return this.users.updateProfile(actor, body.name);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a user' })
  @RequirePermission(Permission.UsersRead)
  @ApiOkResponse({ type: UserDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  get(@CurrentUser() actor: AuthUser, @Param('id', UuidParam) id: string): Promise<UserDto> {
    return this.users.get(actor, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: "Update a user's name, role or scope" })
  @RequirePermission(Permission.UsersManage)
  @ApiOkResponse({ type: UserDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
  update(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @Body() body: UpdateUserDto,
  ): Promise<UserDto> {
    return this.users.update(actor, id, body);
  }

  @Post(':id/disable')
  @ApiOperation({
    summary: 'Disable a user and end their sessions (only a strictly more senior admin)',
  })
  @RequirePermission(Permission.UsersManage)
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: UserDto, description: 'Disabled; every session of the user has ended' })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  disable(@CurrentUser() actor: AuthUser, @Param('id', UuidParam) id: string): Promise<UserDto> {
    return this.users.disable(actor, id);
  }

  @Post(':id/enable')
  @ApiOperation({ summary: 'Enable a disabled user' })
  @RequirePermission(Permission.UsersManage)
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: UserDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  enable(@CurrentUser() actor: AuthUser, @Param('id', UuidParam) id: string): Promise<UserDto> {
    return this.users.enable(actor, id);
  }

  @Post(':id/reset-password')
  @ApiOperation({
    summary: "Reset a user's password to a generated one-time password",
    description:
      'Only a strictly more senior admin (or a super admin). Every session of the user ends at once; signing in ' +
      'with the generated password gives a session that may only change it.',
  })
  @RequirePermission(Permission.UsersManage)
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: ResetPasswordResponseDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  resetPassword(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
  ): Promise<ResetPasswordResponseDto> {
    return this.users.resetPassword(actor, id);
  }
}
