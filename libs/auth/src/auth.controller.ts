import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Req,
} from '@nestjs/common';
import {
  ApiExtraModels,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiProblems, Public, StrictThrottle, ApiErrorCodes, ErrorCode } from '@app/core';
import { AuthService } from './auth.service.js';
import { CurrentUser } from './auth-user.js';
import type { AuthUser } from './auth-user.js';
import {
  AuthenticatedUserDto,
  ChangePasswordDto,
  LoginDto,
  LoginResponseDto,
  RefreshDto,
  SessionDto,
  TokenPairDto,
} from './dto/auth.dto.js';
import { MfaChallengeDto } from './mfa/mfa.dto.js';
import {
  Authenticated,
  MfaEnrolmentRoute,
  PasswordChangeRoute,
} from './require-permission.decorator.js';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @Public()
  @StrictThrottle()
  @HttpCode(HttpStatus.OK)
  @ApiExtraModels(LoginResponseDto, MfaChallengeDto)
  @ApiOkResponse({
    description:
      'The tokens; or, when TOTP is active on the account, a challenge (mfaRequired: true) to answer at POST /auth/mfa/verify',
    schema: {
      oneOf: [{ $ref: getSchemaPath(LoginResponseDto) }, { $ref: getSchemaPath(MfaChallengeDto) }],
    },
  })
  @ApiProblems(
    HttpStatus.BAD_REQUEST,
    HttpStatus.UNAUTHORIZED,
    HttpStatus.FORBIDDEN,
    HttpStatus.TOO_MANY_REQUESTS,
  )
  @ApiOperation({
    summary: 'Sign in with email and password',
    description:
      'Answers an access token (send it as Authorization: Bearer) and a refresh token. Wrong credentials and unknown emails answer the same 401 INVALID_CREDENTIALS; repeated failures are throttled per account and per address. With TOTP active it answers instead { mfaRequired: true, challengeToken, expiresAt }: complete the sign-in at POST /auth/mfa/verify within 5 minutes. An admin role (every role but member) without TOTP more than MFA_ENROLMENT_GRACE_DAYS after its first sign-in gets 403 MFA_ENROLMENT_REQUIRED, whose enrolmentToken (a bearer token for the enrolment routes only, ACCESS_TOKEN_TTL_SECONDS long) lets it enrol.',
  })
  @ApiErrorCodes(HttpStatus.UNAUTHORIZED, ErrorCode.InvalidCredentials)
  @ApiErrorCodes(HttpStatus.FORBIDDEN, ErrorCode.MfaEnrolmentRequired)
  login(@Body() body: LoginDto, @Req() req: Request): Promise<LoginResponseDto | MfaChallengeDto> {
    return this.auth.login(body.email, body.password, req.ip ?? 'unknown', req.get('user-agent'));
  }

  @Post('refresh')
  @Public()
  @StrictThrottle()
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: TokenPairDto })
  @ApiProblems(
    HttpStatus.BAD_REQUEST,
    HttpStatus.UNAUTHORIZED,
    HttpStatus.FORBIDDEN,
    HttpStatus.TOO_MANY_REQUESTS,
  )
  @ApiOperation({
    summary: 'Refresh the token pair',
    description:
      'Exchanges a refresh token for a new access and refresh token. Refresh tokens rotate: each works once, and reusing a spent one revokes the whole session family. An admin role past its TOTP enrolment deadline without TOTP gets 403 MFA_ENROLMENT_REQUIRED and the session ends: sign in again to receive the enrolment token.',
  })
  @ApiErrorCodes(HttpStatus.UNAUTHORIZED, ErrorCode.Unauthenticated)
  @ApiErrorCodes(HttpStatus.FORBIDDEN, ErrorCode.MfaEnrolmentRequired)
  refresh(@Body() body: RefreshDto): Promise<TokenPairDto> {
    return this.auth.refresh(body.refreshToken);
  }

  @Post('logout')
  @Authenticated()
  @PasswordChangeRoute()
  @MfaEnrolmentRoute()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'This session has ended' })
  @ApiOperation({
    summary: 'Sign out of this session',
    description:
      'Revokes the refresh token of this session; the access token expires on its own shortly.',
  })
  logout(@CurrentUser() user: AuthUser): Promise<void> {
    return this.auth.logout(user);
  }

  @Post('logout-all')
  @Authenticated()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'Every session of this user has ended, on every device' })
  @ApiOperation({
    summary: 'Sign out of every session',
    description: 'Revokes every refresh token of your account, on every device.',
  })
  logoutAll(@CurrentUser() user: AuthUser): Promise<void> {
    return this.auth.revoker.revokeAll(user.id, 'logout_all');
  }

  @Get('sessions')
  @Authenticated()
  @ApiOkResponse({ type: SessionDto, isArray: true })
  @ApiOperation({
    summary: 'List your sessions',
    description:
      'Every live session of your account, oldest first: when it signed in and last refreshed, the address and user agent it signed in from, and which one is making this request (current).',
  })
  listSessions(@CurrentUser() user: AuthUser): Promise<SessionDto[]> {
    return this.auth.listSessions(user);
  }

  @Delete('sessions/:id')
  @Authenticated()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'The session has ended, on every process' })
  @ApiProblems(HttpStatus.NOT_FOUND)
  @ApiOperation({
    summary: 'End one of your sessions',
    description:
      'Ends the session at once: its access token is refused on the next request and its refresh token no longer works. An id that is not one of your live sessions answers 404 NOT_FOUND.',
  })
  endSession(@CurrentUser() user: AuthUser, @Param('id') id: string): Promise<void> {
    return this.auth.endSession(user, id);
  }

  @Get('me')
  @Authenticated()
  @ApiOkResponse({ type: AuthenticatedUserDto })
  @ApiOperation({
    summary: 'Get the signed-in user',
    description: 'Your account: role, scope and whether you must change your password.',
  })
  me(@CurrentUser() user: AuthUser): Promise<AuthenticatedUserDto> {
    return this.auth.me(user);
  }

  @Post('change-password')
  @Authenticated()
  @PasswordChangeRoute()
  @StrictThrottle()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'Password changed; every session has ended' })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.TOO_MANY_REQUESTS)
  @ApiOperation({
    summary: 'Change your password',
    description:
      'Ends every session of your account. The one route (with logout) a session from an administrator-reset password may call (passwordChangeRequired in the sign-in answer; every other route answers 403 PASSWORD_CHANGE_REQUIRED); afterwards sign in with the new password.',
  })
  changePassword(@CurrentUser() user: AuthUser, @Body() body: ChangePasswordDto): Promise<void> {
    return this.auth.changePassword(user, body.currentPassword, body.newPassword);
  }
}
