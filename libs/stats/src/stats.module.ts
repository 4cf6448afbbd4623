import { Module } from '@nestjs/common';
import { GeographyModule } from '@app/geography';
import { InProcessStatsCache, StatsCache } from './stats-cache.js';
import { StatsController } from './stats.controller.js';
import { StatsRefresher } from './stats-refresher.js';
import { StatsService } from './stats.service.js';

/** Drill-down membership statistics from materialized views. */
@Module({
  imports: [GeographyModule],
  controllers: [StatsController],
  providers: [
    StatsService,
    StatsRefresher,
    // Swap for a Redis-backed StatsCache (shared cache helper) so invalidation reaches every process.
    { provide: StatsCache, useClass: InProcessStatsCache },
  ],
  exports: [StatsService, StatsRefresher],
})
export class StatsModule {}
