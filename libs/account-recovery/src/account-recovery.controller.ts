import { Body, Controller, HttpCode, HttpStatus, Logger, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems, Public, StrictThrottle } from '@app/core';
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
      'Always answers 202 with the same body, whether or not the address belongs to an account.',
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
    summary: 'Set a new password with the token from the reset email (ends every session)',
  })
  @Public()
  @StrictThrottle()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'Password set; every session of the account has ended' })
  @ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.TOO_MANY_REQUESTS)
  resetPassword(@Body() body: ResetPasswordDto): Promise<void> {
    return this.recovery.resetPassword(body.token, body.newPassword);
  }
}
