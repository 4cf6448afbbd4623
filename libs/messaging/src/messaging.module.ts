import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG } from '@app/core';
import type { AppConfig } from '@app/core';
import { BulkSmsSender } from './channels/bulksms.sms-sender.js';
import { EmailSender, SmsSender } from './channels/channel-ports.js';
import { LogEmailSender, LogSmsSender } from './channels/log.senders.js';
import { SmtpEmailSender } from './channels/smtp.email-sender.js';
import { MessagingController } from './messaging.controller.js';
import { OutboxMessage } from './outbox-message.entity.js';
import { OutboxDispatcher } from './outbox.dispatcher.js';
import { OutboxService } from './outbox.service.js';

export const MESSAGING_ENTITIES = [OutboxMessage];

/** The outbox, its dispatcher and the channel adapters chosen by configuration. */
@Module({
  imports: [TypeOrmModule.forFeature([OutboxMessage])],
  controllers: [MessagingController],
  providers: [
    {
      provide: EmailSender,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): EmailSender =>
        config.SMTP_URL
          ? new SmtpEmailSender(config.SMTP_URL, config.MAIL_FROM)
          : new LogEmailSender(),
    },
    {
      provide: SmsSender,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): SmsSender =>
        config.SMS_PROVIDER === 'bulksms' && config.BULKSMS_TOKEN_ID && config.BULKSMS_TOKEN_SECRET
          ? new BulkSmsSender(
              config.BULKSMS_API_URL,
              config.BULKSMS_TOKEN_ID,
              config.BULKSMS_TOKEN_SECRET,
            )
          : new LogSmsSender(),
    },
    OutboxService,
    OutboxDispatcher,
  ],
  exports: [OutboxService, EmailSender, SmsSender],
})
export class MessagingModule {}
