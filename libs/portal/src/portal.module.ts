import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { GeographyModule } from '@app/geography';
import { MembersModule } from '@app/members';
import { MessagingModule } from '@app/messaging';
import { AccountClaim } from './account-claim.entity.js';
import { AccountClaimService } from './account-claim.service.js';
import { MeService } from './me.service.js';
import { PortalController } from './portal.controller.js';

export const PORTAL_ENTITIES = [AccountClaim];

/** The member portal (/me): claim an account, read and update one's own membership. */
@Module({
  imports: [
    TypeOrmModule.forFeature(PORTAL_ENTITIES),
    MembersModule,
    GeographyModule,
    MessagingModule,
  ],
  controllers: [PortalController],
  providers: [AccountClaimService, MeService],
})
export class PortalModule {}
