import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { GeographyModule } from '@app/geography';
import { IMPORT_ENTITIES } from './import-job.entity.js';
import { ImportJobRunner } from './import-job-runner.js';
import { ImportJobsService } from './import-jobs.service.js';
import { ImportKindRegistry } from './import-kind.js';
import { UploadSweeper } from './upload-sweeper.js';

/**
 * The import engine: one registry of row kinds, one queue and runner (worker threads), one sweeper of IMPORT_DIR,
 * one jobs service (upload, list, get, retry, rejected-rows report). A module with a row kind imports this module
 * and registers its kind with ImportKindRegistry (docs/files.md).
 */
@Module({
  imports: [TypeOrmModule.forFeature(IMPORT_ENTITIES), GeographyModule],
  providers: [ImportKindRegistry, ImportJobRunner, ImportJobsService, UploadSweeper],
  exports: [ImportKindRegistry, ImportJobsService, ImportJobRunner],
})
export class ImportsModule {}
