import { Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG } from '@app/core';
import type { AppConfig } from '@app/core';
import { importUploadOptions, ImportsModule } from '@app/files';
import { GeographyModule } from '@app/geography';
import { MembersModule } from '@app/members';
import { FinanceController } from './finance/finance.controller.js';
import { FinanceService } from './finance/finance.service.js';
import { FinancialReviewController } from './applications/financial-review.controller.js';
import { FinancialReviewService } from './applications/financial-review.service.js';
import { RenewalsImportKind } from './imports/renewals-import.kind.js';
import { RenewalsImportsController } from './imports/renewals-imports.controller.js';
import { RenewalsImportsService } from './imports/renewals-imports.service.js';
import { PAYMENTS_ENTITIES } from './entities/payment.entity.js';
import { PayFastGateway } from './gateway/payfast.js';
import { PAYMENT_GATEWAY } from './gateway/payment-gateway.port.js';
import { PaymentsController } from './payments.controller.js';
import { PaymentsService } from './payments.service.js';
import { PaymentReceiptsModule } from './receipts/payment-receipts.module.js';

/**
 * Payments, four eyes, the card gateway port with its PayFast adapter, the finance views, the financial review of applications
 * (two-tier approval) and bulk renewals (the import engine's `renewals` row kind). RenewalsImportsController comes
 * before PaymentsController so /payments/imports is not taken for /payments/{id}.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature(PAYMENTS_ENTITIES),
    MembersModule,
    GeographyModule,
    PaymentReceiptsModule,
    ImportsModule,
    MulterModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => importUploadOptions(config),
    }),
  ],
  controllers: [
    RenewalsImportsController,
    FinancialReviewController,
    PaymentsController,
    FinanceController,
  ],
  providers: [
    PaymentsService,
    { provide: PAYMENT_GATEWAY, useClass: PayFastGateway },
    FinanceService,
    FinancialReviewService,
    RenewalsImportKind,
    RenewalsImportsService,
  ],
  exports: [PaymentsService, PaymentReceiptsModule],
})
export class PaymentsModule {}
