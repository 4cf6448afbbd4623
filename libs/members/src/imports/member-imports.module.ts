import { Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { APP_CONFIG, AppConfig } from '@app/core';
import { importUploadOptions, ImportsModule } from '@app/files';
import { GeographyModule } from '@app/geography';
import { MemberImportKind } from './member-import.kind.js';
import { MemberImportsController } from './member-imports.controller.js';
import { MemberImportsService } from './member-imports.service.js';

/**
 * Bulk member import: the import engine's (libs/files/src/imports) `members` row kind, and its routes. Uploads go
 * to disk (multer disk storage, capped at IMPORT_MAX_BYTES: larger answers 413), then are stream-parsed; a file
 * is never held in memory whole.
 */
@Module({
  imports: [
    ImportsModule,
    GeographyModule,
    MulterModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => importUploadOptions(config),
    }),
  ],
  controllers: [MemberImportsController],
  providers: [MemberImportsService, MemberImportKind],
  exports: [MemberImportsService],
})
export class MemberImportsModule {}
