import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryRunner } from 'typeorm';
import {
  APP_CONFIG,
  AuditService,
  scheduleDailyJob,
  todayInSouthAfrica,
  whileHoldingClusterLock,
} from '@app/core';
import type { AppConfig } from '@app/core';
import { StatusRecalculationResultDto } from './dto/member.dto.js';
import { MemberStatus } from './entities/member.entity.js';
import { addDays } from './membership-dates.js';

/** Session advisory lock key: one recalculation at a time across every process. */
const LOCK_KEY = 4_746_001;
const BATCH_SIZE = 10_000;

/**
 * The daily move Active -> Grace Period -> Expired by expiry date. Set-based UPDATEs in batches (each one
 * statement that also writes the history rows), only ever touching Active and Grace Period members, so
 * Suspended, Cancelled and Deceased are never changed. Safe with several processes: a session advisory lock
 * lets one run at a time, and every UPDATE re-checks the status it moves from, so a repeated run changes nothing.
 */
@Injectable()
export class StatusRecalculationService implements OnApplicationBootstrap {
  private readonly logger = new Logger(StatusRecalculationService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly scheduler: SchedulerRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    scheduleDailyJob(this.scheduler, this.logger, {
      name: 'member-status-recalculation',
      cronTime: this.config.STATUS_RECALC_CRON,
      run: () => this.recalculate(null),
    });
  }

  async recalculate(actorUserId: string | null): Promise<StatusRecalculationResultDto> {
    const asOf = todayInSouthAfrica();
    const graceStart = addDays(asOf, -this.config.GRACE_PERIOD_DAYS);
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const outcome = await whileHoldingClusterLock(runner, LOCK_KEY, async () => {
        // expired for at most GRACE_PERIOD_DAYS: Active -> Grace Period
        const toGracePeriod = await this.move(
          runner,
          MemberStatus.Active,
          MemberStatus.GracePeriod,
          'expires_on < $1::date AND expires_on >= $2::date',
          asOf,
          graceStart,
        );
        // expired for longer: Active or Grace Period -> Expired
        let toExpired = 0;
        for (const from of [MemberStatus.GracePeriod, MemberStatus.Active]) {
          toExpired += await this.move(
            runner,
            from,
            MemberStatus.Expired,
            'expires_on < $2::date',
            asOf,
            graceStart,
          );
        }
        await this.audit.record({
          action: 'member.status_recalculated',
          entityType: 'member',
          changes: { asOf, toGracePeriod, toExpired },
          actorUserId,
        });
        this.logger.log({ asOf, toGracePeriod, toExpired }, 'Member statuses recalculated');
        return { toGracePeriod, toExpired };
      });
      return outcome.ran
        ? { ran: true, asOf, ...outcome.value }
        : { ran: false, asOf, toGracePeriod: 0, toExpired: 0 };
    } finally {
      await runner.release();
    }
  }

  private async move(
    runner: QueryRunner,
    from: MemberStatus,
    to: MemberStatus,
    condition: string,
    asOf: string,
    graceStart: string,
  ): Promise<number> {
    let total = 0;
    for (;;) {
      const rows = (await runner.query(
        `WITH moved AS (
           UPDATE members m
              SET status = $3::member_status, version = m.version + 1, updated_at = now()
            WHERE m.id IN (SELECT id FROM members
                            WHERE status = $4::member_status AND ${condition}
                            LIMIT ${BATCH_SIZE})
              AND m.status = $4::member_status AND ${condition}
           RETURNING m.id
         ), logged AS (
           INSERT INTO member_history (member_id, kind, from_status, to_status, reason, details)
           SELECT id, 'status_changed', $4::member_status, $3::member_status,
                  'Daily status recalculation', jsonb_build_object('asOf', $1::text)
             FROM moved
         )
         SELECT count(*)::int AS moved FROM moved`,
        [asOf, graceStart, to, from],
      )) as { moved: number }[];
      const moved = rows[0]?.moved ?? 0;
      total += moved;
      if (moved < BATCH_SIZE) return total;
    }
  }
}
