import { Body, Controller, HttpCode, HttpStatus, Logger, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorCodes, ApiProblems, ErrorCode, Public, StrictThrottle } from '@app/core';
import { AccountRecoveryService } from './account-recovery.service.js';
import {
  ForgotPasswordAcceptedDto,
  ForgotPasswordDto,
  ResetPasswordDto,
} from './dto/recovery.dto.js';

const ACCEPTED: ForgotPasswordAcceptedDto = {
  message:
    'If an active account uses this address, a link to set a new password has been sent to it.',
};

@ApiTags('auth')
@Controller('auth')
export class AccountRecoveryController {
  private readonly logger = new Logger(AccountRecoveryController.name);

  constructor(private readonly recovery: AccountRecoveryService) {}

  @Post('forgot-password')
  @ApiOperation({
    summary: 'Ask for a password-reset email',
    description:
      'Always answers 202 with the same body, at once, whether or not the address belongs to an account (no account oracle). An active account gets an email with a single-use link valid for PASSWORD_RESET_TTL_MINUTES (30); a newer request voids older links. At most 3 emails per account per 15 minutes, besides the per-address limit of the sign-in routes.',
  })
  @Public()
  @StrictThrottle()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiAcceptedResponse({ type: ForgotPasswordAcceptedDto })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.TOO_MANY_REQUESTS)
  forgotPassword(@Body() body: ForgotPasswordDto): ForgotPasswordAcceptedDto {
    // Not awaited: the answer must not wait for (or reveal) whether an account was found.
    this.recovery
      .requestReset(body.email)
      .catch((error: unknown) =>
        this.logger.error(`Password reset request failed: ${String(error)}`),
      );
    return ACCEPTED;
  }

  @Post('reset-password')
  @ApiOperation({
    summary: 'Set a new password with the token from the reset email',
    description:
      'The token is used up atomically; the password policy applies (a weak password answers 400 VALIDATION_FAILED and the token stays usable). Every session of the account ends and the reset is audited. A used, expired, replaced or unknown token, or one issued before a later password change, answers 400 PASSWORD_RESET_TOKEN_INVALID.',
  })
  @ApiErrorCodes(HttpStatus.BAD_REQUEST, ErrorCode.PasswordResetTokenInvalid)
  @Public()
  @StrictThrottle()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'Password set; every session of the account has ended' })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.TOO_MANY_REQUESTS)
  resetPassword(@Body() body: ResetPasswordDto): Promise<void> {
    return this.recovery.resetPassword(body.token, body.newPassword);
  }
}
