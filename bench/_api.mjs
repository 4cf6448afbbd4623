// The compiled API for the benches: starting it against the members bench database (members.mjs, _profile.mjs,
// _tail.mjs), signing in as that database's provincial admin, and a steady open-loop load (import.mjs, _tail.mjs).
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort } from '../test/harness/services.mjs';
import { API_ENV } from './_production.mjs';

const root = path.resolve(import.meta.dirname, '..');
const main = path.join(root, 'dist/apps/api/src/main.js');

/**
 * The provincial admin for GP that members.mjs creates (or resets) directly in the bench database. A throwaway
 * user in a throwaway database, never a real account.
 */
export const BENCH_GP_ADMIN = {
  email: 'bench-gp-admin@eff.local',
  password: 'Bench-provincial-admin-2026!',
};

/**
 * Starts the API (NODE_ENV=production, Swagger off, throttling out of the way) and waits for /health.
 * `nodeArgs` go to node before the entry; `workers` > 1 runs it in cluster mode (_cluster.mjs), as PM2 does.
 */
export async function startBenchApi({
  databaseUrl,
  redisUrl,
  nodeArgs = [],
  workers = 1,
  poolSize = 20,
  stdout = 'ignore',
  jwtSecret = randomBytes(32).toString('hex'),
  entryPoint = main,
}) {
  const port = await freePort();
  const entry =
    workers > 1
      ? [path.join(import.meta.dirname, '_cluster.mjs'), entryPoint, String(workers)]
      : [entryPoint];
  const child = spawn(process.execPath, [...nodeArgs, ...entry], {
    cwd: root,
    stdio: ['ignore', stdout, 'pipe'],
    env: {
      ...process.env,
      ...API_ENV,
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_SIZE: String(poolSize),
      REDIS_URL: redisUrl,
      JWT_SECRET: jwtSecret,
      THROTTLE_LIMIT: '100000000',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
      SWAGGER_ENABLED: 'false',
    },
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the API exited (${child.exitCode}): ${stderr}`);
    try {
      if ((await globalThis.fetch(`${baseUrl}/api/v1/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the API did not start in 60 s: ${stderr}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return { child, baseUrl };
}

/**
 * The hand-written peer (_peer.mjs) on the same database, pool size, node flags and workers as the API, verifying
 * the API's tokens (the same jwtSecret).
 */
export function startPeer(options) {
  return startBenchApi({ ...options, entryPoint: path.join(import.meta.dirname, '_peer.mjs') });
}

/** An access token for the bench admin (they live 15 minutes). */
export async function signIn(baseUrl, account = BENCH_GP_ADMIN) {
  const response = await globalThis.fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(account),
  });
  if (!response.ok) throw new Error(`login failed: ${response.status} ${await response.text()}`);
  return (await response.json()).accessToken;
}

/**
 * An open-loop load: one GET every 1000/rate ms, on schedule whatever the answers do, over at most 8 keep-alive
 * connections (a request waits for a free one, and that wait counts). autocannon's overallRate sends each second's
 * quota in a burst, which measures the burst's queue rather than the endpoint. onAnswer(startMs, durationMs, status)
 * sees each answer (start on performance.now()'s clock).
 */
export async function steadyRun(url, token, rate, seconds, onAnswer = () => undefined) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const latencies = [];
  let errors = 0;
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const started = performance.now();
  await new Promise((resolve) => {
    let sent = 0;
    let done = 0;
    const finished = () => {
      done += 1;
      if (done === total) resolve();
    };
    const fire = () => {
      const t0 = performance.now();
      http
        .get(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
          res.resume();
          res.on('end', () => {
            const ms = performance.now() - t0;
            onAnswer(t0, ms, res.statusCode);
            if (res.statusCode === 200) latencies.push(ms);
            else errors += 1;
            finished();
          });
        })
        .on('error', () => {
          errors += 1;
          finished();
        });
    };
    const tick = () => {
      const due = Math.min(total, Math.floor((performance.now() - started) / interval) + 1);
      while (sent < due) {
        sent += 1;
        fire();
      }
      if (sent < total)
        setTimeout(tick, Math.max(0, started + sent * interval - performance.now()));
    };
    tick();
  });
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] * 10) /
    10;
  return {
    requestsPerSecond: Math.round(latencies.length / ((performance.now() - started) / 1000)),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    non2xx: errors,
  };
}

/** steadyRun after `warmupSeconds` not measured, from a fresh process of its own (bench/_steady.mjs). */
export function steadyRunIsolated(url, token, rate, seconds, warmupSeconds = 0) {
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      [
        path.join(import.meta.dirname, '_steady.mjs'),
        url,
        String(rate),
        String(seconds),
        String(warmupSeconds),
      ],
      { env: { ...process.env, BENCH_TOKEN: token } },
      (error, stdout) => (error ? reject(error) : resolve(JSON.parse(stdout))),
    ),
  );
}
