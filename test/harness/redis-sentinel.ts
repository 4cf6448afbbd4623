import { spawn, ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './services.mjs';

export const SENTINEL_MASTER_NAME = 'effmaster';
/** Debian's programs the Sentinel specs need (redis-sentinel is redis-server started in sentinel mode). */
export const SENTINEL_DEBIAN_PROGRAMS = {
  'redis-server': 'redis-server',
  'redis-sentinel': 'redis-sentinel',
};

/**
 * A Redis master, one replica of it and three Sentinels watching them, on free loopback ports in a temp folder,
 * started by the test with Debian's redis-server / redis-sentinel. Quick failure detection (1 s) so a failover
 * fits in a test.
 */
export interface SentinelRedis {
  /** host:port of each Sentinel, as REDIS_SENTINELS takes them. */
  sentinels: string[];
  masterPort: number;
  replicaPort: number;
  /** The port the Sentinels currently name as master. */
  currentMasterPort(): Promise<number | null>;
  /** Waits until the master's writes reached its replica (WAIT), so a failover loses nothing. */
  syncReplica(): Promise<void>;
  /** SIGKILL of the current master (as in a crash). */
  killMaster(): Promise<void>;
  /** Waits until the Sentinels name `port` as the master. */
  waitForMaster(port: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

function startProcess(args: string[], readyText: RegExp): Promise<ChildProcess> {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => reject(new Error(`redis did not start within 10 s: ${output}`)),
      10_000,
    );
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis exited with ${code}: ${output}`));
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (readyText.test(output)) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve(child);
      }
    });
  });
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

async function ask<T>(port: number, fn: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startSentinelRedis(): Promise<SentinelRedis> {
  const dir = mkdtempSync(path.join(tmpdir(), 'eff-sentinel-'));
  const masterPort = await freePort();
  const replicaPort = await freePort();
  const common = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  const servers = new Map<number, ChildProcess>();
  servers.set(
    masterPort,
    await startProcess(['--port', String(masterPort), ...common], /Ready to accept/),
  );
  servers.set(
    replicaPort,
    await startProcess(
      ['--port', String(replicaPort), ...common, '--replicaof', '127.0.0.1', String(masterPort)],
      /Ready to accept/,
    ),
  );
  const sentinelPorts = [await freePort(), await freePort(), await freePort()];
  const sentinels: ChildProcess[] = [];
  for (const port of sentinelPorts) {
    const conf = path.join(dir, `sentinel-${port}.conf`);
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${masterPort} 2`,
        `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} 1000`,
        `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 5000`,
        `sentinel parallel-syncs ${SENTINEL_MASTER_NAME} 1`,
        '',
      ].join('\n'),
    );
    sentinels.push(await startProcess([conf, '--sentinel'], /monitor master|Sentinel ID/));
  }
  const currentMasterPort = async (): Promise<number | null> => {
    for (const port of sentinelPorts) {
      try {
        const answer = await ask(port, (r) =>
          r.call('SENTINEL', 'get-master-addr-by-name', SENTINEL_MASTER_NAME),
        );
        if (Array.isArray(answer) && answer[1]) return Number(answer[1]);
      } catch {
        // next Sentinel
      }
    }
    return null;
  };
  // A failover needs each Sentinel to know the replica and the other Sentinels (hello messages, every 2 s).
  const deadline = Date.now() + 30_000;
  for (;;) {
    const known = await Promise.all(
      sentinelPorts.map((port) =>
        ask(port, async (r) => {
          const replicas = (await r.call(
            'SENTINEL',
            'replicas',
            SENTINEL_MASTER_NAME,
          )) as unknown[];
          const peers = (await r.call('SENTINEL', 'sentinels', SENTINEL_MASTER_NAME)) as unknown[];
          return replicas.length >= 1 && peers.length >= 2;
        }).catch(() => false),
      ),
    );
    if (known.every(Boolean)) break;
    if (Date.now() > deadline) throw new Error('the Sentinels did not discover each other in 30 s');
    await sleep(250);
  }
  return {
    sentinels: sentinelPorts.map((port) => `127.0.0.1:${port}`),
    masterPort,
    replicaPort,
    currentMasterPort,
    syncReplica: async () => {
      const port = await currentMasterPort();
      if (!port) throw new Error('no master');
      const acked = await ask(port, (r) => r.call('WAIT', '1', '5000'));
      if (Number(acked) < 1) throw new Error('the replica did not acknowledge the writes');
    },
    killMaster: async () => {
      const port = await currentMasterPort();
      const child = port ? servers.get(port) : undefined;
      if (!child) throw new Error('no master process to kill');
      await kill(child);
    },
    waitForMaster: async (port, timeoutMs = 30_000) => {
      const until = Date.now() + timeoutMs;
      while ((await currentMasterPort()) !== port) {
        if (Date.now() > until)
          throw new Error(`Sentinel did not promote ${port} in ${timeoutMs} ms`);
        await sleep(100);
      }
    },
    close: async () => {
      await Promise.all([...sentinels, ...servers.values()].map(kill));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
