import type { Logger } from '@nestjs/common';
import type { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { SOUTH_AFRICAN_TIME_ZONE } from '../util/south-african-time.js';

/**
 * Starts `run` on `cronTime` (South African time) under `name`; `'off'` schedules nothing. A failed run is logged
 * and the schedule goes on. Several processes may all schedule it: `run` decides which one works (see
 * whileHoldingClusterLock).
 */
export function scheduleDailyJob(
  scheduler: SchedulerRegistry,
  logger: Logger,
  job: { name: string; cronTime: string; run: () => Promise<unknown> },
): void {
  if (job.cronTime === 'off') return;
  const cron = CronJob.from({
    cronTime: job.cronTime,
    timeZone: SOUTH_AFRICAN_TIME_ZONE,
    onTick: () => {
      job.run().catch((error: unknown) => logger.error({ err: error }, `${job.name} failed`));
    },
  });
  scheduler.addCronJob(job.name, cron);
  cron.start();
}
