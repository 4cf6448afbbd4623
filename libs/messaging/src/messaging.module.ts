import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG } from '@app/core';
import type { AppConfig } from '@app/core';
import { EmailSender, SmsSender } from './channels/channel-ports.js';
import { createEmailSender, createSmsSender } from './channels/senders.js';
import { BranchesModule } from '@app/branches';
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
import { ContactObjectionService } from './unsubscribe/contact-objection.service.js';
import { UnsubscribeController } from './unsubscribe/unsubscribe.controller.js';
import { UnsubscribeService } from './unsubscribe/unsubscribe.service.js';
import { UnsubscribeTokens } from './unsubscribe/unsubscribe-token.js';

export const MESSAGING_ENTITIES = [OutboxMessage, MessageTemplate, Campaign];

/** The outbox, its dispatcher and the channel adapters chosen by configuration. */
@Module({
  imports: [
    TypeOrmModule.forFeature(MESSAGING_ENTITIES),
    GeographyModule,
    MembersModule,
    BranchesModule,
  ],
  controllers: [MessagingController, CampaignsController, UnsubscribeController],
  providers: [
    { provide: EmailSender, inject: [APP_CONFIG], useFactory: createEmailSender },
    { provide: SmsSender, inject: [APP_CONFIG], useFactory: createSmsSender },
    {
      provide: UnsubscribeTokens,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): UnsubscribeTokens => UnsubscribeTokens.fromConfig(config),
    },
    OutboxService,
    OutboxDispatcher,
    ContactObjectionService,
    UnsubscribeService,
    TemplatesService,
    CampaignsService,
    InboundSmsService,
    RemindersService,
  ],
  exports: [OutboxService, EmailSender, SmsSender, RemindersService],
})
export class MessagingModule {}
