import { Body, Controller, Get, HttpCode, HttpStatus, Post, Req } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiProblems, Public, StrictThrottle } from '@app/core';
import { AuthService } from './auth.service.js';
import { CurrentUser } from './auth-user.js';
import type { AuthUser } from './auth-user.js';
import {
  AuthenticatedUserDto,
  ChangePasswordDto,
  LoginDto,
  LoginResponseDto,
  RefreshDto,
  TokenPairDto,
} from './dto/auth.dto.js';
import { Authenticated, PasswordChangeRoute } from './require-permission.decorator.js';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @ApiOperation({ summary: 'Sign in with email and password' })
  @Public()
  @StrictThrottle()
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: LoginResponseDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.UNAUTHORIZED, HttpStatus.TOO_MANY_REQUESTS)
  login(@Body() body: LoginDto, @Req() req: Request): Promise<LoginResponseDto> {
    return this.auth.login(body.email, body.password, req.ip ?? 'unknown');
  }

  @Post('refresh')
  @ApiOperation({ summary: 'Exchange a refresh token for a new token pair' })
  @Public()
  @StrictThrottle()
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: TokenPairDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.UNAUTHORIZED, HttpStatus.TOO_MANY_REQUESTS)
  refresh(@Body() body: RefreshDto): Promise<TokenPairDto> {
    return this.auth.refresh(body.refreshToken);
  }

  @Post('logout')
  @ApiOperation({ summary: 'Sign out of this session' })
  @Authenticated()
  @PasswordChangeRoute()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'This session has ended' })
  logout(@CurrentUser() user: AuthUser): Promise<void> {
    return this.auth.logout(user);
  }

  @Post('logout-all')
  @ApiOperation({ summary: 'Sign out of every session' })
  @Authenticated()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'Every session of this user has ended, on every device' })
  logoutAll(@CurrentUser() user: AuthUser): Promise<void> {
    return this.auth.revoker.revokeAll(user.id, 'logout_all');
  }

  @Get('me')
  @ApiOperation({ summary: 'The signed-in user' })
  @Authenticated()
  @ApiOkResponse({ type: AuthenticatedUserDto })
  me(@CurrentUser() user: AuthUser): Promise<AuthenticatedUserDto> {
    return this.auth.me(user);
  }

  @Post('change-password')
  @ApiOperation({
    summary: 'Change your password (ends every session)',
    description:
      'The one route (with logout) a session from an administrator-reset password may call ' +
      '(passwordChangeRequired in the sign-in answer); afterwards sign in with the new password.',
  })
  @Authenticated()
  @PasswordChangeRoute()
  @StrictThrottle()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'Password changed; every session has ended' })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.TOO_MANY_REQUESTS)
  changePassword(@CurrentUser() user: AuthUser, @Body() body: ChangePasswordDto): Promise<void> {
    return this.auth.changePassword(user, body.currentPassword, body.newPassword);
  }
}
