import { Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { APP_CONFIG, AppConfig } from '@app/core';
import { importUploadOptions, ImportsModule } from '@app/files';
import { BranchesModule } from '../branches.module.js';
import { AttendanceImportKind } from './attendance-import.kind.js';
import { AttendanceImportsController } from './attendance-imports.controller.js';
import { AttendanceImportsService } from './attendance-imports.service.js';

/**
 * A meeting's attendance register (CSV/XLSX of membership numbers) through the import engine: the `attendance`
 * row kind and its routes under /meetings/{id}/attendance/imports.
 */
@Module({
  imports: [
    ImportsModule,
    BranchesModule,
    MulterModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => importUploadOptions(config),
    }),
  ],
  controllers: [AttendanceImportsController],
  providers: [AttendanceImportsService, AttendanceImportKind],
})
export class AttendanceImportsModule {}
