import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { GeographyModule } from '@app/geography';
import { MembersModule } from '@app/members';
import { CardKeyring } from './card-keyring.js';
import { CardVerifyThrottleGuard } from './card-verify-throttle.guard.js';
import { CardsController } from './cards.controller.js';
import { CardsService } from './cards.service.js';
import { MembershipCard } from './membership-card.entity.js';

export const CARDS_ENTITIES = [MembershipCard];

/** Digital membership cards: Ed25519-signed tokens in a PDF's QR code, public verification, revocation. */
@Module({
  imports: [TypeOrmModule.forFeature(CARDS_ENTITIES), MembersModule, GeographyModule],
  controllers: [CardsController],
  providers: [CardKeyring, CardsService, CardVerifyThrottleGuard],
  exports: [CardsService],
})
export class CardsModule {}
