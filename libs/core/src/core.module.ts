import { DynamicModule, Global, Module, OnModuleInit } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, DataSourceOptions } from 'typeorm';
import { AuditEvent } from './audit/audit-event.entity.js';
import { AuditService } from './audit/audit.service.js';
import { CacheModule } from './cache/cache.module.js';
import { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { ProblemDetailsFilter } from './errors/problem-details.filter.js';
import { createValidationPipe } from './errors/validation.js';
import { DomainEventBus } from './events/domain-events.js';
import { HealthController } from './health/health.controller.js';
import { HealthService } from './health/health.service.js';
import {
  ReadConnection,
  ReadYourWrites,
  ReadYourWritesInterceptor,
} from './database/read-connection.js';
import { LoggingModule } from './logging/logging.module.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { MetricsService } from './metrics/metrics.service.js';
import { RedisModule } from './redis/redis.module.js';
import { ThrottlingModule } from './throttling/throttling.module.js';

export interface CoreModuleOptions {
  config: AppConfig;
  dataSource: DataSourceOptions;
}

export const CORE_ENTITIES = [AuditEvent];

/** Config, logging, database, errors, validation, health, audit and events: what every feature stands on. */
@Global()
@Module({})
export class CoreModule implements OnModuleInit {
  constructor(
    private readonly health: HealthService,
    private readonly dataSource: DataSource,
  ) {}

  static forRoot(options: CoreModuleOptions): DynamicModule {
    return {
      module: CoreModule,
      imports: [
        ConfigModule.forRoot(options.config),
        LoggingModule.forRoot(options.config),
        TypeOrmModule.forRoot(options.dataSource),
        TypeOrmModule.forFeature([AuditEvent]),
        RedisModule,
        ThrottlingModule,
        CacheModule,
      ],
      controllers: [HealthController, MetricsController],
      providers: [
        HealthService,
        AuditService,
        DomainEventBus,
        MetricsService,
        ReadYourWrites,
        ReadConnection,
        { provide: APP_INTERCEPTOR, useClass: ReadYourWritesInterceptor },
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
      exports: [
        HealthService,
        AuditService,
        DomainEventBus,
        MetricsService,
        ReadConnection,
        ReadYourWrites,
      ],
    };
  }

  onModuleInit(): void {
    this.health.register('database', async () => {
      await this.dataSource.query('SELECT 1');
    });
  }
}
