import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig } from '@app/core';
import { GeographyModule } from '@app/geography';
import { MEMBER_IMPORT_ENTITIES } from './import-job.entity.js';
import { MemberImportsController } from './member-imports.controller.js';
import { ImportJobRunner } from './import-job-runner.js';
import { MemberImportsService } from './member-imports.service.js';
import { UploadSweeper } from './upload-sweeper.js';

/**
 * Bulk member import. Uploads go to disk (multer disk storage, capped at IMPORT_MAX_BYTES: larger answers
 * 413), then are stream-parsed; a file is never held in memory whole.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature(MEMBER_IMPORT_ENTITIES),
    GeographyModule,
    MulterModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => {
        const destination = path.join(
          config.IMPORT_DIR || path.join(tmpdir(), 'eff-imports'),
          'incoming',
        );
        mkdirSync(destination, { recursive: true });
        return {
          dest: destination,
          limits: { fileSize: config.IMPORT_MAX_BYTES, files: 1, fields: 10, parts: 12 },
        };
      },
    }),
  ],
  controllers: [MemberImportsController],
  providers: [MemberImportsService, ImportJobRunner, UploadSweeper],
  exports: [MemberImportsService],
})
export class MemberImportsModule {}
