import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, spawnRedis } from './services.mjs';

/** A redis-server of the test's own, on a fixed port, that the test may kill and start again. */
export interface OwnRedis {
  url: string;
  port: number;
  start(): Promise<void>;
  /** SIGKILL: clients see the connection drop, as in a crash. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: connections stay open but nothing answers (a hung Redis). */
  pause(): void;
  resume(): void;
}

export async function ownRedis(): Promise<OwnRedis> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'eff-own-redis-'));
  let child: ChildProcess | null = null;
  const redis: OwnRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    start: async () => {
      child = await spawnRedis(port, dir);
    },
    pause: () => {
      child?.kill('SIGSTOP');
    },
    resume: () => {
      child?.kill('SIGCONT');
    },
    kill: () =>
      new Promise((resolve) => {
        const proc = child;
        child = null;
        if (!proc || proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGCONT');
        proc.kill('SIGKILL');
      }),
  };
  await redis.start();
  return redis;
}
