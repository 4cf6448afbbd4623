import { Module } from '@nestjs/common';
import { GeographyModule } from '@app/geography';
import { StatsController } from './stats.controller.js';
import { StatsRefresher } from './stats-refresher.js';
import { StatsService } from './stats.service.js';

/** Drill-down membership statistics from materialized views. */
@Module({
  imports: [GeographyModule],
  controllers: [StatsController],
  providers: [StatsService, StatsRefresher],
  exports: [StatsService, StatsRefresher],
})
export class StatsModule {}
