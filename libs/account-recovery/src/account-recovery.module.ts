import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MessagingModule } from '@app/messaging';
import { AccountRecoveryController } from './account-recovery.controller.js';
import { AccountRecoveryService } from './account-recovery.service.js';
import { PasswordResetToken } from './password-reset-token.entity.js';

export const ACCOUNT_RECOVERY_ENTITIES = [PasswordResetToken];

/** Forgot / reset password. Builds on auth (accounts, sessions) and messaging (the reset email). */
@Module({
  imports: [TypeOrmModule.forFeature([PasswordResetToken]), MessagingModule],
  controllers: [AccountRecoveryController],
  providers: [AccountRecoveryService],
})
export class AccountRecoveryModule {}
