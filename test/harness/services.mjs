// Shared by the global setup (plain ESM) and the test helpers.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const TEMPLATE_DATABASE = 'eff_template';

/** Environment the global setup hands to every test worker. */
export const HARNESS_ENV = {
  pgAdminUrl: 'EFF_TEST_PG_ADMIN_URL',
  redisUrl: 'EFF_TEST_REDIS_URL',
};

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** REDIS_URL when given; otherwise a redis-server of our own on a free port, keeping nothing on disk. */
export async function startRedis() {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL };
  const port = await freePort();
  const binary = process.env.REDIS_SERVER_BIN ?? 'redis-server';
  const dir = mkdtempSync(path.join(tmpdir(), 'eff-test-redis-'));
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
  await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('redis-server did not start within 10 s')),
      10_000,
    );
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(
        new Error(
          `Could not start ${binary} (${error.message}). Install redis-server or set REDIS_URL.`,
        ),
      );
    });
    child.stdout.on('data', (chunk) => {
      if (chunk.toString().includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return { url: `redis://127.0.0.1:${port}`, process: child };
}
