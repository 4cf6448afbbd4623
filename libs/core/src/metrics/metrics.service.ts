import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
} from 'prom-client';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { RedisService } from '../redis/redis.module.js';
import { AddressAllowList } from './address-allow-list.js';
import { METRIC } from './metric-names.js';

/** The part of pg's Pool we read; TypeORM's postgres driver keeps it as `driver.master`. */
interface PoolStats {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

const UNMATCHED_ROUTE = '(unmatched)';

/** The route template Express matched (`/api/v1/members/:id`), never the raw URL (unbounded label values). */
export function routeTemplate(req: Request): string {
  const route: unknown = (req as { route?: unknown }).route;
  const path: unknown =
    typeof route === 'object' && route !== null ? (route as { path?: unknown }).path : undefined;
  if (typeof path !== 'string') return UNMATCHED_ROUTE;
  // Nest's not-found handler is a catch-all route (`*path`) under the prefix.
  if (/^\/?\{?\*/.test(path)) return UNMATCHED_ROUTE;
  return `${req.baseUrl ?? ''}${path}` || '/';
}

/**
 * One Prometheus registry per process. Features add their own metrics with counter()/gauge()/histogram()
 * (get-or-create, so two callers asking for the same name share it); names live in METRIC.
 */
@Injectable()
export class MetricsService implements OnModuleInit {
  readonly registry = new Registry();
  readonly allowList: AddressAllowList;
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly duration: Histogram<'method' | 'route' | 'status'>;
  private readonly problems: Counter<'code' | 'status'>;
  private readonly throttled: Counter;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly redis: RedisService,
  ) {
    this.allowList = new AddressAllowList(config.METRICS_ALLOW);
    collectDefaultMetrics({ register: this.registry });
    this.requests = this.counter({
      name: METRIC.httpRequests,
      help: 'HTTP responses by route template, method and status',
      labelNames: ['method', 'route', 'status'],
    });
    this.duration = this.histogram({
      name: METRIC.httpDuration,
      help: 'HTTP response time in seconds by route template, method and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
    this.problems = this.counter({
      name: METRIC.problems,
      help: 'Problem-details answers by error code and status',
      labelNames: ['code', 'status'],
    });
    this.throttled = this.counter({
      name: METRIC.throttled,
      help: 'Requests refused by the rate limiter (429)',
    });
  }

  counter<L extends string = string>(config: CounterConfiguration<L>): Counter<L> {
    const existing = this.registry.getSingleMetric(config.name);
    if (existing) return existing as Counter<L>;
    return new Counter<L>({ ...config, registers: [this.registry] });
  }

  gauge<L extends string = string>(config: GaugeConfiguration<L>): Gauge<L> {
    const existing = this.registry.getSingleMetric(config.name);
    if (existing) return existing as Gauge<L>;
    return new Gauge<L>({ ...config, registers: [this.registry] });
  }

  histogram<L extends string = string>(config: HistogramConfiguration<L>): Histogram<L> {
    const existing = this.registry.getSingleMetric(config.name);
    if (existing) return existing as Histogram<L>;
    return new Histogram<L>({ ...config, registers: [this.registry] });
  }

  onModuleInit(): void {
    const pool = (): PoolStats | undefined =>
      (this.dataSource.driver as unknown as { master?: PoolStats }).master;
    this.gauge({
      name: METRIC.dbPoolConnections,
      help: 'PostgreSQL pool connections of this process by state',
      labelNames: ['state'],
      collect() {
        const stats = pool();
        this.set({ state: 'in_use' }, stats ? stats.totalCount - stats.idleCount : 0);
        this.set({ state: 'idle' }, stats?.idleCount ?? 0);
      },
    });
    this.gauge({
      name: METRIC.dbPoolWaiting,
      help: 'Queries waiting for a PostgreSQL pool connection',
      collect() {
        this.set(pool()?.waitingCount ?? 0);
      },
    });
    const max = this.gauge({ name: METRIC.dbPoolMax, help: 'PostgreSQL pool size limit' });
    max.set(this.config.DATABASE_POOL_SIZE);
    const dataSource = this.dataSource;
    this.gauge({
      name: METRIC.dbUp,
      help: 'Whether PostgreSQL answered SELECT 1 within a second (1) or not (0)',
      async collect() {
        this.set((await answersWithin(() => dataSource.query('SELECT 1'), 1000)) ? 1 : 0);
      },
    });
    const redis = this.redis;
    if (redis.client) {
      this.gauge({
        name: METRIC.redisUp,
        help: 'Whether the Redis connection is ready (1) or not (0)',
        collect() {
          this.set(redis.available ? 1 : 0);
        },
      });
    }
  }

  /**
   * eff_realtime_connected_sockets for the realtime gateway: inc() on connect, dec() on disconnect.
   * Per process; sum() across processes.
   */
  connectedSockets(): Gauge {
    return this.gauge({
      name: METRIC.connectedSockets,
      help: 'socket.io connections on this process',
    });
  }

  /** eff_imports_total{status} for member imports: inc({ status: 'completed' }) or 'failed' when one ends. */
  imports(): Counter<'status'> {
    return this.counter({
      name: METRIC.imports,
      help: 'Member imports by outcome',
      labelNames: ['status'],
    });
  }

  /**
   * eff_members{status}: members by membership status, counted at scrape time by `count` (keep it one cheap
   * query, e.g. GROUP BY status; Prometheus scrapes every 15-60 s). Every process reports the same totals:
   * use max() across processes, not sum(). Registering again replaces the counting function.
   */
  countMembersOnScrape(count: () => Promise<Record<string, number>>): void {
    this.registry.removeSingleMetric(METRIC.members);
    this.gauge({
      name: METRIC.members,
      help: 'Members by membership status (all processes report the same totals)',
      labelNames: ['status'],
      async collect() {
        const counts = await count().catch(() => null);
        if (!counts) return;
        this.reset();
        for (const [status, value] of Object.entries(counts)) this.set({ status }, value);
      },
    });
  }

  /** Express middleware timing every response; install before anything else. */
  httpMiddleware(): (req: Request, res: Response, next: () => void) => void {
    return (req, res, next) => {
      const end = this.duration.startTimer();
      res.once('finish', () => {
        const labels = {
          method: req.method,
          route: routeTemplate(req),
          status: String(res.statusCode),
        };
        end(labels);
        this.requests.inc(labels);
      });
      next();
    };
  }

  /** Called by the problem-details filter for every error answer. */
  recordProblem(code: string, status: number): void {
    this.problems.inc({ code, status: String(status) });
    if (status === 429) this.throttled.inc();
  }
}

async function answersWithin(check: () => Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      check().then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), ms);
      }),
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
