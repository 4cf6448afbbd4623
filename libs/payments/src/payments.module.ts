import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { GeographyModule } from '@app/geography';
import { MembersModule } from '@app/members';
import { FinanceController } from './finance/finance.controller.js';
import { FinanceService } from './finance/finance.service.js';
import { PAYMENTS_ENTITIES } from './entities/payment.entity.js';
import { PayFastGateway } from './gateway/payfast.js';
import { PAYMENT_GATEWAY } from './gateway/payment-gateway.port.js';
import { PaymentsController } from './payments.controller.js';
import { PaymentsService } from './payments.service.js';

/** Payments, four eyes, the card gateway port with its PayFast adapter, the finance views. */
@Module({
  imports: [TypeOrmModule.forFeature(PAYMENTS_ENTITIES), MembersModule, GeographyModule],
  controllers: [PaymentsController, FinanceController],
  providers: [
    PaymentsService,
    FinanceService,
    { provide: PAYMENT_GATEWAY, useClass: PayFastGateway },
  ],
  exports: [PaymentsService],
})
export class PaymentsModule {}
