import { readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '@app/core';
import type { AppConfig } from '@app/core';
import { ImportJobRunner } from './import-job-runner.js';

/** An upload still being written is touched continuously; one untouched this long was abandoned. */
const INCOMING_GRACE_MS = 60 * 60 * 1000;
const JOB_FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(csv|xlsx)$/;

/**
 * Deletes import files (of every kind) nobody needs any more: a failed job's file IMPORT_RETENTION_HOURS after it failed (a
 * retry then answers 409 "upload it again"), any job file whose job completed or no longer exists, and uploads
 * abandoned in `incoming/` (a request that died before the service took its file over). A job still queued
 * after IMPORT_RETENTION_HOURS (at least 1) is failed.
 */
@Injectable()
export class UploadSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(UploadSweeper.name);
  private timer: NodeJS.Timeout | null = null;
  private sweeping: Promise<number> | null = null;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly imports: ImportJobRunner,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(
      () => void this.sweep(),
      this.config.IMPORT_SWEEP_INTERVAL_SECONDS * 1000,
    );
    this.timer.unref();
    void this.sweep();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One sweep (never two at once); resolves with the number of files deleted. */
  sweep(): Promise<number> {
    this.sweeping ??= this.sweepOnce()
      .catch((error: unknown) => {
        this.logger.error({ err: error }, 'Import file sweep failed');
        return 0;
      })
      .finally(() => (this.sweeping = null));
    return this.sweeping;
  }

  private async sweepOnce(): Promise<number> {
    const dir = this.imports.importDir;
    let deleted = 0;
    const now = Date.now();
    const incoming = path.join(dir, 'incoming');
    for (const name of await readdir(incoming).catch(() => [] as string[])) {
      const file = path.join(incoming, name);
      const info = await stat(file).catch(() => null);
      if (info?.isFile() && now - info.mtimeMs > INCOMING_GRACE_MS) {
        if (await remove(file)) deleted += 1;
      }
    }
    const files = new Map<string, { file: string; age: number }>();
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const match = JOB_FILE.exec(name);
      const info = match && (await stat(path.join(dir, name)).catch(() => null));
      if (match && info)
        files.set(match[1]!, { file: path.join(dir, name), age: now - info.mtimeMs });
    }
    if (files.size > 0) {
      const jobs = await this.dataSource.query<{ id: string; expired: boolean; status: string }[]>(
        `SELECT id, status, (status = 'failed' AND finished_at < now() - make_interval(hours => $2))
           AS expired
         FROM import_jobs WHERE id = ANY($1::uuid[])`,
        [[...files.keys()], this.config.IMPORT_RETENTION_HOURS],
      );
      const byId = new Map(jobs.map((j) => [j.id, j]));
      for (const [id, { file, age }] of files) {
        const job = byId.get(id);
        // No such job here: maybe another database's (an IMPORT_DIR shared by mistake, as parallel test apps
        // do); only an old one is surely abandoned.
        const orphan = !job && age > INCOMING_GRACE_MS;
        if (orphan || job?.status === 'completed' || job?.expired) {
          if (await remove(file)) deleted += 1;
        }
      }
    }
    if (deleted > 0) this.logger.log({ deleted }, 'Deleted import files past their use');
    // A job queued where no live process has its file (its container is gone) would wait forever.
    // TypeORM answers an UPDATE … RETURNING with [rows, affected count].
    const [stale] = await this.dataSource.query<[{ id: string }[], number]>(
      `UPDATE import_jobs SET status = 'failed', finished_at = now(), updated_at = now(),
         error = 'No server could start this import within ' || $1::text || ' hours; upload the file again.'
       WHERE status = 'queued' AND updated_at < now() - make_interval(hours => $1)
       RETURNING id`,
      [Math.max(this.config.IMPORT_RETENTION_HOURS, 1)],
    );
    if (stale.length > 0) {
      this.logger.warn({ importIds: stale.map((j) => j.id) }, 'Failed imports queued too long');
    }
    return deleted;
  }
}

async function remove(file: string): Promise<boolean> {
  return unlink(file).then(
    () => true,
    () => false,
  );
}
