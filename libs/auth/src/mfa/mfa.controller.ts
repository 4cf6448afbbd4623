import { Body, Controller, Get, HttpCode, HttpStatus, Post, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiErrorCodes, ApiProblems, ErrorCode, Public, StrictThrottle } from '@app/core';
import { AuthService } from '../auth.service.js';
import { CurrentUser } from '../auth-user.js';
import type { AuthUser } from '../auth-user.js';
import { LoginResponseDto } from '../dto/auth.dto.js';
import { Authenticated, MfaEnrolmentRoute } from '../require-permission.decorator.js';
import {
  ConfirmMfaDto,
  MfaEnrolmentDto,
  MfaRecoveryCodesDto,
  MfaStatusDto,
  VerifyMfaDto,
} from './mfa.dto.js';
import { MfaService } from './mfa.service.js';

@ApiTags('auth')
@Controller('auth/mfa')
export class MfaController {
  constructor(
    private readonly mfa: MfaService,
    private readonly auth: AuthService,
  ) {}

  @Get()
  @Authenticated()
  @MfaEnrolmentRoute()
  @ApiOkResponse({ type: MfaStatusDto })
  @ApiOperation({
    summary: 'Get your two-factor status',
    description:
      'Whether TOTP is active on your account, whether your role must use it (every role except member) and by when (first sign-in + MFA_ENROLMENT_GRACE_DAYS), and how many recovery codes are left. An enrolment-only token may call it.',
  })
  status(@CurrentUser() user: AuthUser): Promise<MfaStatusDto> {
    return this.auth.mfaStatus(user);
  }

  @Post('enrolment')
  @Authenticated()
  @MfaEnrolmentRoute()
  @StrictThrottle()
  @ApiCreatedResponse({ type: MfaEnrolmentDto })
  @ApiProblems(HttpStatus.CONFLICT, HttpStatus.TOO_MANY_REQUESTS)
  @ApiErrorCodes(HttpStatus.CONFLICT, ErrorCode.MfaAlreadyEnabled)
  @ApiOperation({
    summary: 'Start TOTP enrolment',
    description:
      'Creates a new TOTP secret for your account and shows it this once: as base32, as an otpauth:// URI and as a QR code (PNG data URL and SVG) to scan with an authenticator app. The secret is stored encrypted and stays inactive until confirmed; starting again replaces an unconfirmed one. 409 MFA_ALREADY_ENABLED when TOTP is already active (a super admin can reset it). Also reachable with the enrolmentToken of a 403 MFA_ENROLMENT_REQUIRED sign-in.',
  })
  start(@CurrentUser() user: AuthUser): Promise<MfaEnrolmentDto> {
    return this.mfa.startFor(user);
  }

  @Post('enrolment/confirm')
  @Authenticated()
  @MfaEnrolmentRoute()
  @StrictThrottle()
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: MfaRecoveryCodesDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.CONFLICT, HttpStatus.TOO_MANY_REQUESTS)
  @ApiErrorCodes(HttpStatus.BAD_REQUEST, ErrorCode.MfaCodeInvalid)
  @ApiErrorCodes(HttpStatus.CONFLICT, ErrorCode.MfaAlreadyEnabled, ErrorCode.MfaEnrolmentNotStarted)
  @ApiOperation({
    summary: 'Confirm TOTP enrolment',
    description:
      'Activates the pending secret with a first valid code (400 MFA_CODE_INVALID otherwise) and answers ten single-use recovery codes, shown this once (only their keyed hash is stored). From now on sign-in answers a challenge (POST /auth/mfa/verify). Called with an enrolment-only token, that token is spent: sign in again.',
  })
  confirm(
    @CurrentUser() user: AuthUser,
    @Body() body: ConfirmMfaDto,
  ): Promise<MfaRecoveryCodesDto> {
    return this.mfa.confirmFor(user, body.code);
  }

  @Post('verify')
  @Public()
  @StrictThrottle()
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: LoginResponseDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.UNAUTHORIZED, HttpStatus.TOO_MANY_REQUESTS)
  @ApiErrorCodes(
    HttpStatus.UNAUTHORIZED,
    ErrorCode.MfaChallengeInvalid,
    ErrorCode.MfaCodeInvalid,
    ErrorCode.MfaCodeReused,
  )
  @ApiOperation({
    summary: 'Complete a sign-in with a TOTP or recovery code',
    description:
      'The second step of POST /auth/login for an account with TOTP: the challengeToken it answered (single use, 5 minutes) with either the current 6-digit code (±30 s of clock drift) or one recovery code. Answers the tokens of a normal sign-in. Each TOTP code works once (401 MFA_CODE_REUSED); each recovery code once. Wrong codes count towards the account lockout of sign-in (LOGIN_MAX_FAILURES, then refused for LOGIN_LOCK_SECONDS whatever the code: 401 MFA_CODE_INVALID). An unknown, expired or used challenge answers 401 MFA_CHALLENGE_INVALID.',
  })
  verify(@Body() body: VerifyMfaDto, @Req() req: Request): Promise<LoginResponseDto> {
    return this.auth.verifyMfa(
      body.challengeToken,
      { code: body.code, recoveryCode: body.recoveryCode },
      req.ip ?? 'unknown',
      req.get('user-agent'),
    );
  }
}
