import { Module } from '@nestjs/common';
import { LeadershipModule } from '@app/leadership';
import { MembersModule } from '@app/members';
import { MessagingModule } from '@app/messaging';
import { PaymentsModule } from '@app/payments';
import { PortalModule } from '@app/portal';
import { PrivacyController } from './privacy.controller.js';
import { PrivacyService } from './privacy.service.js';

/** POPIA tools: data export for access requests, consent and objection, erasure after retention. */
@Module({
  imports: [MembersModule, LeadershipModule, MessagingModule, PaymentsModule, PortalModule],
  controllers: [PrivacyController],
  providers: [PrivacyService],
})
export class PrivacyModule {}
