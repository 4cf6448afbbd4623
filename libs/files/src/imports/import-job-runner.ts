import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  APP_CONFIG,
  AuditService,
  DomainEventBus,
  DomainEventType,
  MetricsService,
} from '@app/core';
import type { AppConfig } from '@app/core';
import type { ImportJob } from './import-job.entity.js';
import { ImportEngine } from './import-engine.js';
import { ImportKindRegistry } from './import-kind.js';

/** The one import engine of the app (import-engine.ts), wired to the event bus, the audit log and the metrics. */
@Injectable()
export class ImportJobRunner
  extends ImportEngine
  implements OnApplicationBootstrap, OnApplicationShutdown
{
  constructor(
    @InjectDataSource() dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
    kinds: ImportKindRegistry,
    events: DomainEventBus,
    audit: AuditService,
    metrics: MetricsService,
  ) {
    super(dataSource, config, kinds, {
      publish: (job) => publishProgress(events, job),
      audit: (entry) => audit.record(entry),
      finished: (status) => metrics.imports().inc({ status }),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }
}

function publishProgress(events: DomainEventBus, job: ImportJob): void {
  events.publish({
    type: DomainEventType.ImportProgress,
    area: job.provinceCode
      ? {
          provinceCode: job.provinceCode,
          districtCode: job.districtCode,
          municipalityCode: job.municipalityCode,
          wardCode: job.wardCode,
        }
      : null,
    userId: job.uploadedBy,
    payload: {
      importId: job.id,
      status: job.status,
      dryRun: job.dryRun,
      totalRows: job.totalRows,
      validRows: job.validRows,
      insertedRows: job.insertedRows,
      updatedRows: job.updatedRows,
      rejectedRows: job.rejectedRows,
      duplicateRows: job.duplicateRows,
      committedThroughRow: job.committedThroughRow,
    },
  });
}
