import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  APP_CONFIG,
  CacheService,
  DomainEventBus,
  DomainEventType,
  MetricsService,
  whileHoldingClusterLock,
} from '@app/core';
import type { AppConfig } from '@app/core';

const REFRESH_LOCK = 7_202;
/** The shared cache's namespace of statistics answers; a refresh invalidates it on every process. */
export const STATS_CACHE_NAMESPACE = 'stats';
/**
 * Refreshes the statistics views CONCURRENTLY (readers never wait) on a schedule and after every import that
 * wrote members; one process at a time (advisory lock). Then clears the cache and publishes stats.updated.
 * The refresh goes through refresh_statistics(), which runs as the views' owner: the API's role may only
 * read and write rows (migration StatsRefreshFunction).
 */
@Injectable()
export class StatsRefresher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(StatsRefresher.name);
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private current: Promise<boolean> | null = null;
  private again = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly events: DomainEventBus,
    private readonly cache: CacheService,
    private readonly metrics: MetricsService,
  ) {}

  onApplicationBootstrap(): void {
    // eff_members{status} from the ward view (4,468 rows), never a count over the members table per scrape.
    this.metrics.countMembersOnScrape(async () => {
      const [row] = await this.dataSource.query<Record<string, string | null>[]>(
        `SELECT sum(pending) AS pending, sum(active) AS active, sum(grace_period) AS grace_period,
                sum(expired) AS expired, sum(suspended) AS suspended, sum(cancelled) AS cancelled,
                sum(deceased) AS deceased
           FROM stats_ward_membership`,
      );
      return Object.fromEntries(
        Object.entries(row ?? {}).map(([status, n]) => [status, Number(n ?? 0)]),
      );
    });
    const seconds = this.config.STATS_REFRESH_INTERVAL_SECONDS;
    if (seconds > 0) {
      this.timer = setInterval(() => void this.refresh(), seconds * 1000);
      this.timer.unref();
    }
    this.unsubscribe = this.events.subscribe((event) => {
      const p = event.payload;
      if (
        event.type === DomainEventType.ImportProgress &&
        p.status === 'completed' &&
        p.dryRun === false &&
        (Number(p.insertedRows) > 0 || Number(p.updatedRows) > 0)
      ) {
        void this.refresh();
      }
    });
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe?.();
    this.again = false;
    await this.current?.catch(() => undefined);
  }

  /** Refreshes now (or once more after the refresh under way); false when another process holds the lock. */
  refresh(): Promise<boolean> {
    if (this.current) {
      this.again = true;
      return this.current;
    }
    this.current = this.run()
      .catch((error: unknown) => {
        this.logger.error({ err: error }, 'Refreshing statistics failed');
        return false;
      })
      .finally(() => {
        this.current = null;
        if (this.again) {
          this.again = false;
          void this.refresh();
        }
      });
    return this.current;
  }

  private async run(): Promise<boolean> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const refreshed = await whileHoldingClusterLock(runner, [REFRESH_LOCK, 0], async () => {
        const started = Date.now();
        await runner.query('SET statement_timeout = 0');
        await runner.query('SELECT refresh_statistics()');
        await runner.query('RESET statement_timeout');
        this.logger.log({ ms: Date.now() - started }, 'Statistics refreshed');
      });
      if (!refreshed.ran) return false;
      await this.cache.invalidate(STATS_CACHE_NAMESPACE);
      this.events.publish({
        type: DomainEventType.StatsUpdated,
        area: null,
        payload: { refreshedAt: new Date().toISOString() },
      });
      return true;
    } finally {
      await runner.release();
    }
  }
}
