// Shared by the global setup (plain ESM) and the test helpers.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
// The one freePort (libs/core), compiled: npm test and npm run bench build first.
import { freePort } from '../../dist/libs/core/src/util/free-port.js';

export { freePort };

export const TEMPLATE_DATABASE = 'eff_template';

/** Environment the global setup hands to every test worker. */
export const HARNESS_ENV = {
  pgAdminUrl: 'EFF_TEST_PG_ADMIN_URL',
  redisUrl: 'EFF_TEST_REDIS_URL',
};

/**
 * Starts a redis-server (REDIS_SERVER_BIN, default `redis-server` on the PATH) on 127.0.0.1:`port` that keeps
 * nothing on disk (`dir` is its working folder), and resolves with the process once it accepts connections.
 */
export function spawnRedis(port, dir) {
  const binary = process.env.REDIS_SERVER_BIN ?? 'redis-server';
  const child = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('redis-server did not start within 10 s')),
      10_000,
    );
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(
        new Error(
          `Could not start ${binary} (${error.message}). Install redis-server, set REDIS_SERVER_BIN to it, or (for the shared test Redis) set REDIS_URL.`,
        ),
      );
    });
    child.stdout.on('data', (chunk) => {
      if (chunk.toString().includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
  });
}

/** REDIS_URL when given; otherwise a redis-server of our own on a free port, keeping nothing on disk. */
export async function startRedis() {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL };
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'eff-test-redis-'));
  const child = await spawnRedis(port, dir);
  return { url: `redis://127.0.0.1:${port}`, process: child };
}
