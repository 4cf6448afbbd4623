import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG } from '@app/core';
import type { AppConfig } from '@app/core';
import { BulkSmsSender } from './channels/bulksms.sms-sender.js';
import { EmailSender, SmsSender } from './channels/channel-ports.js';
import { LogEmailSender, LogSmsSender } from './channels/log.senders.js';
import { SmtpEmailSender } from './channels/smtp.email-sender.js';
import { GeographyModule } from '@app/geography';
import { MembersModule } from '@app/members';
import { CampaignsController } from './campaigns.controller.js';
import { Campaign } from './campaigns/campaign.entity.js';
import { CampaignsService } from './campaigns/campaigns.service.js';
import { InboundSmsService } from './inbound-sms.service.js';
import { MessagingController } from './messaging.controller.js';
import { RemindersService } from './reminders/reminders.service.js';
import { MessageTemplate } from './templates/message-template.entity.js';
import { TemplatesService } from './templates/templates.service.js';
import { OutboxMessage } from './outbox-message.entity.js';
import { OutboxDispatcher } from './outbox.dispatcher.js';
import { OutboxService } from './outbox.service.js';

export const MESSAGING_ENTITIES = [OutboxMessage, MessageTemplate, Campaign];

/** The outbox, its dispatcher and the channel adapters chosen by configuration. */
@Module({
  imports: [TypeOrmModule.forFeature(MESSAGING_ENTITIES), GeographyModule, MembersModule],
  controllers: [MessagingController, CampaignsController],
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
    TemplatesService,
    CampaignsService,
    InboundSmsService,
    RemindersService,
  ],
  exports: [OutboxService, EmailSender, SmsSender, RemindersService],
})
export class MessagingModule {}
