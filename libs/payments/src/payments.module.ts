import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MembersModule } from '@app/members';
import { PAYMENTS_ENTITIES } from './entities/payment.entity.js';
import { PayFastGateway } from './gateway/payfast.js';
import { PAYMENT_GATEWAY } from './gateway/payment-gateway.port.js';
import { PaymentsController } from './payments.controller.js';
import { PaymentsService } from './payments.service.js';
import { PaymentReceiptsModule } from './receipts/payment-receipts.module.js';

/** Payments, four eyes, the card gateway port with its PayFast adapter. */
@Module({
  imports: [TypeOrmModule.forFeature(PAYMENTS_ENTITIES), MembersModule, PaymentReceiptsModule],
  controllers: [PaymentsController],
  providers: [PaymentsService, { provide: PAYMENT_GATEWAY, useClass: PayFastGateway }],
  exports: [PaymentsService, PaymentReceiptsModule],
})
export class PaymentsModule {}
