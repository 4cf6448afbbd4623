import {
  CallHandler,
  ExecutionContext,
  Inject,
  Injectable,
  Logger,
  NestInterceptor,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { from, mergeMap, Observable } from 'rxjs';
import { DataSource, QueryFailedError } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { RequestContext } from '../context/request-context.js';
import { METRIC } from '../metrics/metric-names.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { RedisService } from '../redis/redis.module.js';
import { sslOptions } from './data-source-options.js';

/** application_name of the replica pools' sessions (visible in the replica's pg_stat_activity). */
export const REPLICA_APPLICATION_NAME = 'eff-membership-api-replica';

/** How long the primary's WAL positions are remembered (a replica further behind reads as this far behind). */
const SAMPLE_KEEP_MS = 10 * 60_000;

/** A PostgreSQL LSN ('16/B374D848') as a number of bytes. */
export function parseLsn(text: string): bigint {
  const [high, low] = text.split('/');
  return (BigInt(`0x${high ?? '0'}`) << 32n) | BigInt(`0x${low ?? '0'}`);
}

/** The primary's WAL position at a moment. */
interface LsnSample {
  at: number;
  lsn: bigint;
}

/**
 * How far behind the primary a replica is, in milliseconds: how long ago the primary was at the oldest position
 * the replica has not replayed yet (0 when it has replayed everything the primary had written at the last check).
 * Measured against the primary's own positions, so a replica whose WAL receiver is cut off (and whose replay
 * timestamp is therefore not advancing) is seen falling behind too. Resolution: the check interval.
 */
export function replicaLagMs(samples: readonly LsnSample[], replayed: bigint, now: number): number {
  const behind = samples.find((sample) => sample.lsn > replayed);
  return behind ? Math.max(0, now - behind.at) : 0;
}

export type ReplicaState = 'in-rotation' | 'lagging' | 'down' | 'not-standby';

export interface ReadOptions {
  /**
   * Run as a named (prepared) statement: each pooled connection parses and plans the text once, then only binds
   * (a point read then costs PostgreSQL about a fifth of the CPU). Only for a fixed set of texts whose best plan
   * does not depend on the values (lookups by key); the name comes from the text, so the set of names stays that
   * of the texts.
   */
  prepared?: boolean;
  /** Read the primary even when a replica is in rotation: for answers that must reflect the latest commit. */
  primary?: boolean;
}

const statementNames = new Map<string, string>();

/** pg's query config for `text`: named after the text's hash when prepared, plain otherwise. */
export function statementOf(text: string, values: unknown[], prepared: boolean): pg.QueryConfig {
  if (!prepared) return { text, values };
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `eff_${createHash('sha256').update(text).digest('base64url').slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return { name, text, values };
}

interface Replica {
  /** host:port/db, for metrics and logs (no password). */
  label: string;
  pool: pg.Pool;
  state: ReplicaState;
  lagMs: number;
}

/** Errors after which a read is retried on the primary: the replica (not the query) is the problem. */
function replicaFault(error: unknown): boolean {
  if (!(error instanceof pg.DatabaseError)) return true; // connection refused / reset / timeout
  const code = error.code ?? '';
  // 40001: canceled by a recovery conflict; 08: connection exceptions; 57P0x: shutdown / cannot connect now;
  // 53: insufficient resources (too many connections).
  return (
    code === '40001' || code.startsWith('08') || code.startsWith('57P') || code.startsWith('53')
  );
}

function labelOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return 'replica';
  }
}

/**
 * Read-your-writes by a per-user window: every authenticated write request marks its user (in this process and
 * in Redis, so the other API hosts know too) for DATABASE_READ_YOUR_WRITES_MS, and while marked that user's
 * reads go to the primary. Chosen over waiting for the replica's replay LSN because it needs nothing from the
 * write paths (no commit LSN to capture in every module's transactions) and no extra round trip to the replica
 * per read; the window exceeds the largest lag a replica in rotation can have (max lag + two check intervals: lag
 * is sampled once per check, and a replica serves until the next check), so a marked user never reads a replica
 * that misses their write. If Redis cannot be asked, the read goes to the primary (correct, just not offloaded).
 */
@Injectable()
export class ReadYourWrites {
  private readonly local = new Map<string, number>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly redis: RedisService,
  ) {}

  get enabled(): boolean {
    return this.config.DATABASE_REPLICA_URLS.length > 0;
  }

  private key(userId: string): string {
    return this.redis.key('ryw', userId);
  }

  /** `userId` just wrote (or is about to): their reads go to the primary for the window. */
  async mark(userId: string): Promise<void> {
    const windowMs = this.config.DATABASE_READ_YOUR_WRITES_MS;
    this.local.set(userId, Date.now() + windowMs);
    if (this.local.size > 10_000) this.prune();
    const client = this.redis.client;
    if (!client || !this.redis.available) return;
    await client.set(this.key(userId), '1', 'PX', windowMs).catch(() => this.redis.markUnhealthy());
  }

  /** Whether `userId` wrote within the window (on any API host); true when that cannot be known. */
  async recentlyWrote(userId: string): Promise<boolean> {
    const until = this.local.get(userId);
    if (until !== undefined && until > Date.now()) return true;
    const client = this.redis.client;
    if (!client) return false; // one process: the local mark is the whole truth
    if (!this.redis.available) return true;
    try {
      return (await client.exists(this.key(userId))) === 1;
    } catch {
      this.redis.markUnhealthy();
      return true;
    }
  }

  private prune(): void {
    const now = Date.now();
    for (const [user, until] of this.local) if (until <= now) this.local.delete(user);
  }
}

/** Marks the caller of every authenticated write request for read-your-writes (before and after the handler). */
@Injectable()
export class ReadYourWritesInterceptor implements NestInterceptor {
  constructor(private readonly ryw: ReadYourWrites) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (!this.ryw.enabled || context.getType() !== 'http') return next.handle();
    const method = context.switchToHttp().getRequest<{ method: string }>().method;
    const userId = RequestContext.current().userId;
    if (!userId || ['GET', 'HEAD', 'OPTIONS'].includes(method)) return next.handle();
    return from(this.ryw.mark(userId)).pipe(
      mergeMap(() => next.handle()),
      mergeMap((result: unknown) => from(this.ryw.mark(userId).then(() => result))),
    );
  }
}

/**
 * The one "read connection" of the app: heavy reads (member lists and search, member pages, statistics, exports)
 * call `query`, which runs them on a healthy read replica (DATABASE_REPLICA_URLS) or on the primary when there is
 * none, none is healthy, or the caller wrote within the read-your-writes window. Replicas get their own pg pools
 * (not TypeORM's `replication` option, which picks a replica at random and knows nothing of lag or health);
 * every DATABASE_REPLICA_CHECK_INTERVAL_MS each replica's lag is measured, exported as eff_db_replica_lag_seconds,
 * and a replica that is down, not a standby any more, or behind DATABASE_REPLICA_MAX_LAG_MS leaves the rotation
 * until a later check finds it well. A read that fails because of the replica is retried on the primary at once.
 */
@Injectable()
export class ReadConnection implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ReadConnection.name);
  private readonly replicas: Replica[];
  private readonly samples: LsnSample[] = [];
  private timer: NodeJS.Timeout | null = null;
  private next = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly ryw: ReadYourWrites,
    private readonly metrics: MetricsService,
  ) {
    this.replicas = config.DATABASE_REPLICA_URLS.map((url) => {
      const pool = new pg.Pool({
        connectionString: url,
        max: config.DATABASE_POOL_SIZE,
        ssl: sslOptions(config) as pg.PoolConfig['ssl'],
        application_name: REPLICA_APPLICATION_NAME,
        connectionTimeoutMillis: Math.min(config.DATABASE_CONNECT_TIMEOUT_MS, 2000),
        statement_timeout: config.DATABASE_STATEMENT_TIMEOUT_MS,
        idleTimeoutMillis: 30000,
      });
      // An idle client dying with its server is expected (a replica restarts); the next check notices.
      pool.on('error', () => undefined);
      // Out of rotation until the first check has measured it.
      return { label: labelOf(url), pool, state: 'down', lagMs: 0 };
    });
  }

  private get primary(): pg.Pool {
    return (this.dataSource.driver as unknown as { master: pg.Pool }).master;
  }

  /** Where the current caller's heavy read should go: a replica in rotation, or null for the primary. */
  private async pick(): Promise<Replica | null> {
    const healthy = this.replicas.filter((r) => r.state === 'in-rotation');
    if (healthy.length === 0) return null;
    const userId = RequestContext.current().userId;
    if (userId && (await this.ryw.recentlyWrote(userId))) return null;
    this.next = (this.next + 1) % healthy.length;
    return healthy[this.next] ?? null;
  }

  /**
   * Runs a read-only statement on the read connection. A server-reported error becomes a QueryFailedError as
   * through TypeORM, so the problem-details mapping is the same; connection errors pass as they are.
   */
  async query<T extends object>(
    text: string,
    values: unknown[] = [],
    options: ReadOptions = {},
  ): Promise<T[]> {
    const statement = statementOf(text, values, options.prepared === true);
    const replica = options.primary ? null : await this.pick();
    if (replica) {
      try {
        return (await replica.pool.query<T>(statement)).rows;
      } catch (error) {
        if (!replicaFault(error)) throw toQueryFailed(error, text, values);
        this.takeOut(replica, 'down', error);
      }
    }
    try {
      return (await this.primary.query<T>(statement)).rows;
    } catch (error) {
      throw toQueryFailed(error, text, values);
    }
  }

  /** Replicas and their state, for tests and the health page. */
  status(): { replica: string; state: ReplicaState; lagMs: number }[] {
    return this.replicas.map((r) => ({ replica: r.label, state: r.state, lagMs: r.lagMs }));
  }

  private takeOut(replica: Replica, state: ReplicaState, error?: unknown): void {
    if (replica.state === 'in-rotation') {
      const why = error instanceof Error ? `: ${error.message}` : '';
      this.logger.warn(`Read replica ${replica.label} out of rotation (${state}${why})`);
    }
    replica.state = state;
  }

  onModuleInit(): void {
    if (this.replicas.length === 0) return;
    const replicas = this.replicas;
    this.metrics.gauge({
      name: METRIC.dbReplicaLag,
      help: 'Replay lag of each read replica behind the primary, in seconds (-1 when it cannot be measured)',
      labelNames: ['replica'],
      collect() {
        for (const r of replicas)
          this.set({ replica: r.label }, r.state === 'down' ? -1 : r.lagMs / 1000);
      },
    });
    this.metrics.gauge({
      name: METRIC.dbReplicaInRotation,
      help: 'Whether each read replica serves reads (1) or is out of rotation (0): down, lagging, or promoted',
      labelNames: ['replica'],
      collect() {
        for (const r of replicas) this.set({ replica: r.label }, r.state === 'in-rotation' ? 1 : 0);
      },
    });
    const tick = (): void => {
      void this.check().finally(() => {
        if (this.timer === null) return; // shut down
        this.timer = setTimeout(tick, this.config.DATABASE_REPLICA_CHECK_INTERVAL_MS);
        this.timer.unref();
      });
    };
    this.timer = setTimeout(tick, 0);
    this.timer.unref();
  }

  /** One measurement of every replica against the primary's current WAL position. */
  async check(): Promise<void> {
    const now = Date.now();
    try {
      const [row] = (
        await this.primary.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')
      ).rows;
      if (row) this.samples.push({ at: now, lsn: parseLsn(row.lsn) });
    } catch {
      // The primary is down: keep the replicas as they are (they cannot fall further behind a stopped primary).
    }
    while (this.samples.length > 1 && this.samples[0]!.at < now - SAMPLE_KEEP_MS)
      this.samples.shift();
    await Promise.all(this.replicas.map((replica) => this.checkReplica(replica, now)));
  }

  private async checkReplica(replica: Replica, now: number): Promise<void> {
    try {
      const answer = replica.pool.query<{ standby: boolean; replayed: string | null }>(
        'SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replayed',
      );
      const [row] = (await withTimeout(answer, CHECK_TIMEOUT_MS)).rows;
      if (!row?.standby || !row.replayed) {
        replica.lagMs = 0;
        return this.takeOut(replica, 'not-standby');
      }
      replica.lagMs = replicaLagMs(this.samples, parseLsn(row.replayed), now);
      if (replica.lagMs > this.config.DATABASE_REPLICA_MAX_LAG_MS)
        return this.takeOut(replica, 'lagging');
      if (replica.state !== 'in-rotation')
        this.logger.log(`Read replica ${replica.label} in rotation (lag ${replica.lagMs} ms)`);
      replica.state = 'in-rotation';
    } catch (error) {
      this.takeOut(replica, 'down', error);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await Promise.all(this.replicas.map((r) => r.pool.end().catch(() => undefined)));
  }
}

/** A replica that does not answer its check within this is out of rotation. */
const CHECK_TIMEOUT_MS = 1500;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function toQueryFailed(error: unknown, text: string, values: unknown[]): unknown {
  return error instanceof pg.DatabaseError ? new QueryFailedError(text, values, error) : error;
}
