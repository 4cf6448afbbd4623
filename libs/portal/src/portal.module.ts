import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { GeographyModule } from '@app/geography';
import { LeadershipModule } from '@app/leadership';
import { MembersModule } from '@app/members';
import { MessagingModule } from '@app/messaging';
import { PaymentsModule } from '@app/payments';
import { AccountClaim } from './account-claim.entity.js';
import { AccountClaimService } from './account-claim.service.js';
import { MeService } from './me.service.js';
import { TransferRequestsController } from './transfer-requests.controller.js';
import { TransferRequestsService } from './transfer-requests.service.js';
import { PortalController } from './portal.controller.js';
import { RenewalIntent } from './renewal-intent.entity.js';
import { MemberTransferRequest } from './transfer-request.entity.js';

export const PORTAL_ENTITIES = [AccountClaim, MemberTransferRequest, RenewalIntent];

/**
 * The member portal (/me): claim an account, read and update one's own membership, ask for a transfer, renew;
 * and the administrators' side of transfer requests (/transfer-requests).
 */
@Module({
  imports: [
    TypeOrmModule.forFeature(PORTAL_ENTITIES),
    MembersModule,
    GeographyModule,
    MessagingModule,
    LeadershipModule,
    PaymentsModule,
  ],
  controllers: [PortalController, TransferRequestsController],
  providers: [AccountClaimService, MeService, TransferRequestsService],
  exports: [TransferRequestsService],
})
export class PortalModule {}
