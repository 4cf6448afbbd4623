import {
  Body,
  Controller,
  Delete,
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
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Authenticated, CurrentUser, Permission, RequirePermission } from '@app/auth';
import type { AuthUser } from '@app/auth';
import { ApiProblems, PageOf, UuidParam, ApiErrorCodes, ErrorCode } from '@app/core';
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
  @RequirePermission(Permission.UsersManage)
  @ApiCreatedResponse({ type: UserDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.CONFLICT)
  @ApiOperation({
    summary: 'Create a user',
    description:
      'A staff account with a role and a scope at or inside yours; you may only create roles strictly junior to your own. The password must be strong (at least 12 characters, not a common one).',
  })
  create(@CurrentUser() actor: AuthUser, @Body() body: CreateUserDto): Promise<UserDto> {
    return this.users.create(actor, body);
  }

  @Get()
  @RequirePermission(Permission.UsersRead)
  @ApiOkResponse({ type: PageOf(UserDto) })
  @ApiProblems(HttpStatus.BAD_REQUEST)
  @ApiOperation({
    summary: 'List users',
    description: 'A keyset page of the staff accounts inside your scope; q matches email or name.',
  })
  list(@CurrentUser() actor: AuthUser, @Query() query: ListUsersQueryDto): Promise<Page<UserDto>> {
    return this.users.list(actor, query);
  }

  @Patch('me')
  @Authenticated()
  @ApiOkResponse({
    type: UserDto,
    description: 'Your own profile; role and scope cannot be changed here',
  })
  @ApiProblems(HttpStatus.BAD_REQUEST)
  @ApiOperation({
    summary: 'Update your own profile',
    description: 'Your display name (role and scope are changed only by a more senior admin).',
  })
  updateProfile(@CurrentUser() actor: AuthUser, @Body() body: UpdateProfileDto): Promise<UserDto> {
    return this.users.updateProfile(actor, body.name);
  }

  @Get(':id')
  @RequirePermission(Permission.UsersRead)
  @ApiOkResponse({ type: UserDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: 'Get a user',
    description: 'One staff account inside your scope (404 outside).',
  })
  get(@CurrentUser() actor: AuthUser, @Param('id', UuidParam) id: string): Promise<UserDto> {
    return this.users.get(actor, id);
  }

  @Patch(':id')
  @RequirePermission(Permission.UsersManage)
  @ApiOkResponse({ type: UserDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
  @ApiOperation({
    summary: 'Update a user',
    description:
      'Name, role or scope of an account strictly junior to yours, inside your scope; the new role and scope must also be within your reach. Send the version you read (409 VERSION_CONFLICT when stale).',
  })
  @ApiErrorCodes(HttpStatus.CONFLICT, ErrorCode.VersionConflict)
  update(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
    @Body() body: UpdateUserDto,
  ): Promise<UserDto> {
    return this.users.update(actor, id, body);
  }

  @Post(':id/disable')
  @RequirePermission(Permission.UsersManage)
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: UserDto, description: 'Disabled; every session of the user has ended' })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: 'Disable a user',
    description:
      'Disables the account and ends its sessions at once. Only a strictly more senior admin inside whose scope the user is.',
  })
  disable(@CurrentUser() actor: AuthUser, @Param('id', UuidParam) id: string): Promise<UserDto> {
    return this.users.disable(actor, id);
  }

  @Post(':id/enable')
  @RequirePermission(Permission.UsersManage)
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: UserDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: 'Enable a disabled user',
    description:
      'Lets the account sign in again. Only a strictly more senior admin inside whose scope the user is.',
  })
  enable(@CurrentUser() actor: AuthUser, @Param('id', UuidParam) id: string): Promise<UserDto> {
    return this.users.enable(actor, id);
  }

  @Post(':id/reset-password')
  @RequirePermission(Permission.UsersManage)
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: ResetPasswordResponseDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: "Reset a user's password",
    description:
      'Sets a generated one-time password and answers it once. Only a strictly more senior admin (or a super admin). Every session of the user ends at once; signing in with the generated password gives a session that may only change it.',
  })
  resetPassword(
    @CurrentUser() actor: AuthUser,
    @Param('id', UuidParam) id: string,
  ): Promise<ResetPasswordResponseDto> {
    return this.users.resetPassword(actor, id);
  }

  @Delete(':id/mfa')
  @RequirePermission(Permission.UsersMfaReset)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({
    description: "The user's TOTP and recovery codes are gone; every session of the user has ended",
  })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: "Reset a user's two-factor authentication",
    description:
      "For a lost authenticator: removes the user's TOTP secret, recovery codes and open sign-in challenges, ends every session of the user and records it in the audit log. Super admin only (users:mfa_reset), and only on a strictly more junior account (never another super admin, never yourself: 403). The user enrols again at the next sign-in (an admin role past its grace period gets an enrolment-only token).",
  })
  resetMfa(@CurrentUser() actor: AuthUser, @Param('id', UuidParam) id: string): Promise<void> {
    return this.users.resetMfa(actor, id);
  }
}
