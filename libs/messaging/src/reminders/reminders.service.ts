import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AuditService, scheduleDailyJob, todayInSouthAfrica } from '@app/core';
import type { AppConfig } from '@app/core';
import { ReminderRunResult, runDailyMessaging } from './renewal-reminders.js';

/**
 * The daily renewal reminders and outbox retention purge (MESSAGING_REMINDERS_CRON). Safe with several
 * processes: a session advisory lock (namespace 7350) lets one run at a time and the idempotency key of every
 * reminder makes a repeated run queue nothing twice.
 */
@Injectable()
export class RemindersService implements OnApplicationBootstrap {
  private readonly logger = new Logger(RemindersService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly scheduler: SchedulerRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    scheduleDailyJob(this.scheduler, this.logger, {
      name: 'messaging-renewal-reminders',
      cronTime: this.config.MESSAGING_REMINDERS_CRON,
      run: () => this.run(null),
    });
  }

  async run(actorUserId: string | null, today = todayInSouthAfrica()): Promise<ReminderRunResult> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const result = await runDailyMessaging(
        { query: (q, p) => runner.query(q, p), manager: runner.manager },
        {
          today,
          optOutText: this.config.SMS_OPT_OUT_TEXT,
          emailOptOutText: this.config.EMAIL_OPT_OUT_TEXT,
          retentionDays: this.config.MESSAGING_BODY_RETENTION_DAYS,
        },
      );
      if (result.ran) {
        await this.audit.record({
          action: 'messaging.reminders_queued',
          entityType: 'messaging_outbox',
          changes: { ...result },
          actorUserId,
        });
        this.logger.log(result, 'Renewal reminders queued');
      }
      return result;
    } finally {
      await runner.release();
    }
  }
}
