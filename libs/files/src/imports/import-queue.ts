import { Logger } from '@nestjs/common';
import type { DataSource, QueryRunner } from 'typeorm';
import type { ImportFormat } from './import-job.entity.js';

/** Advisory-lock namespace: the process running a job holds (IMPORT_LOCK, hashtext(job id)) on its connection. */
export const IMPORT_LOCK = 7_201;
/** Advisory-lock namespace of the cluster-wide run slots: (IMPORT_SLOT_LOCK, 0 … IMPORT_CONCURRENCY-1). 7_202 is the statistics refresh. */
const IMPORT_SLOT_LOCK = 7_215;
/** How often an idle process looks for queued jobs another process could not start (its slots were taken). */
const POLL_MS = 2_000;

export interface QueuedJob {
  id: string;
  kind: string;
  format: ImportFormat;
}

export interface ImportQueueOptions {
  concurrency: number;
  /** Whether this process can run the job (its kind is registered here and its file is in this process's IMPORT_DIR). */
  runnable(job: QueuedJob): Promise<boolean>;
  /** Runs a claimed job on the connection that holds its lock and its slot. */
  run(id: string, runner: QueryRunner): Promise<void>;
}

async function tryLock(runner: QueryRunner, space: number, key: number | string): Promise<boolean> {
  const sql =
    typeof key === 'number'
      ? 'SELECT pg_try_advisory_lock($1, $2) AS ok'
      : 'SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok';
  const [row] = (await runner.query(sql, [space, key])) as { ok: boolean }[];
  return row?.ok === true;
}

async function unlock(runner: QueryRunner, space: number, key: number | string): Promise<void> {
  const sql =
    typeof key === 'number'
      ? 'SELECT pg_advisory_unlock($1, $2)'
      : 'SELECT pg_advisory_unlock($1, hashtext($2))';
  await runner.query(sql, [space, key]).catch(() => undefined);
}

/**
 * The bounded import queue, one for every row kind. Jobs wait as `queued` rows; a job runs only on a connection holding one of
 * IMPORT_CONCURRENCY slot locks, so at most that many imports run at once across every process sharing the
 * database (each takes two pooled connections). Queued jobs start oldest first, when a slot frees up in any
 * process that has the job's file.
 */
export class ImportQueue {
  private readonly logger = new Logger(ImportQueue.name);
  readonly running = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private pumping = false;
  private again = false;
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: ImportQueueOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), POLL_MS);
    this.timer.unref();
    this.kick();
  }

  /** Starts no new job; waits for the running ones (which stop at their next batch when shutting down). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.running.values()]);
  }

  /** Looks for queued jobs to start now (after an upload, a retry or a finished job). */
  kick(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    void this.pump()
      .catch((error: unknown) => this.logger.error({ err: error }, 'Import queue failed'))
      .finally(() => {
        this.pumping = false;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async pump(): Promise<void> {
    while (!this.stopped && this.running.size < this.options.concurrency) {
      if (!(await this.claim())) return;
    }
  }

  /** Takes a free slot and the oldest queued job this process can run; false when there is none. */
  private async claim(): Promise<boolean> {
    const waiting = await this.dataSource.query<QueuedJob[]>(
      `SELECT id, kind, format FROM import_jobs WHERE status = 'queued' ORDER BY created_at, id LIMIT 50`,
    );
    const candidates: string[] = [];
    for (const job of waiting) {
      if (!this.running.has(job.id) && (await this.options.runnable(job))) candidates.push(job.id);
    }
    if (candidates.length === 0) return false;
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    let slot = -1;
    let claimed: string | null = null;
    try {
      for (let k = 0; k < this.options.concurrency && slot < 0; k += 1) {
        if (await tryLock(runner, IMPORT_SLOT_LOCK, k)) slot = k;
      }
      if (slot < 0) return false;
      for (const id of candidates) {
        if (await tryLock(runner, IMPORT_LOCK, id)) {
          claimed = id;
          break;
        }
      }
      return claimed !== null;
    } finally {
      if (claimed === null) {
        if (slot >= 0) await unlock(runner, IMPORT_SLOT_LOCK, slot);
        await runner.release();
      } else {
        const id = claimed;
        const held = slot;
        const run = this.options
          .run(id, runner)
          .catch((error: unknown) =>
            this.logger.error({ err: error, importId: id }, 'Import crashed'),
          )
          .finally(async () => {
            await unlock(runner, IMPORT_LOCK, id);
            await unlock(runner, IMPORT_SLOT_LOCK, held);
            await runner.release();
            this.running.delete(id);
            this.kick();
          });
        this.running.set(id, run);
      }
    }
  }

  /**
   * 1-based places in the queue of queued jobs (1 starts next), in the order the queue starts them.
   */
  async positions(ids: string[]): Promise<Map<string, number>> {
    if (ids.length === 0) return new Map();
    const rows = await this.dataSource.query<{ id: string; position: number }[]>(
      `SELECT q.id, (SELECT count(*) FROM import_jobs o WHERE o.status = 'queued'
           AND (o.created_at, o.id) <= (q.created_at, q.id))::int AS position
       FROM import_jobs q WHERE q.id = ANY($1::uuid[]) AND q.status = 'queued'`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, r.position]));
  }
}
