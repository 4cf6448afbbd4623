import { Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { APP_CONFIG, AppConfig } from '@app/core';
import { documentUploadOptions, DocumentsModule } from '@app/files';
import { MembersModule } from '@app/members';
import { PaymentReceiptsController } from './payment-receipts.controller.js';
import { PaymentReceiptsService } from './payment-receipts.service.js';

/**
 * Payment receipts on the shared document store. A module of its own so its multer options (document uploads,
 * DOCUMENT_MAX_BYTES) apply to its routes only; PaymentsModule imports and re-exports it.
 */
@Module({
  imports: [
    DocumentsModule,
    MembersModule,
    MulterModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => documentUploadOptions(config),
    }),
  ],
  controllers: [PaymentReceiptsController],
  providers: [PaymentReceiptsService],
  exports: [PaymentReceiptsService],
})
export class PaymentReceiptsModule {}
