// Diagnostic (not part of npm run bench): 2,000 requests at a steady 200 req/s on one route of the API (production's
// node flags, or BENCH_API_NODE_ARGS) against BENCH_DATABASE_URL (the members bench database, with its GP admin);
// prints p50/p99, the slow answers (start ms, duration ms) and when the API ran a mark-compact (--trace-gc).
// SNAPSHOT=1 also writes a heap snapshot to /tmp/hs 1.5 s into the load; GC_FLAGS adds node flags (e.g.
// --trace-gc-nvp) and GC_LOG=<file> keeps the API's stdout (the GC trace).
//
//   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/eff_bench ROUTE=/api/v1/auth/me node bench/_tail.mjs
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { freePort, startRedis } from '../test/harness/services.mjs';
import { API_NODE_ARGS } from './_production.mjs';

const fetch = globalThis.fetch;

if (process.env.SNAPSHOT) mkdirSync('/tmp/hs', { recursive: true });
const port = await freePort();
const redis = await startRedis();
const child = spawn(
  process.execPath,
  [
    '--trace-gc',
    ...(process.env.GC_FLAGS ?? '').split(' ').filter(Boolean),
    '--heapsnapshot-signal=SIGUSR2',
    '--diagnostic-dir=/tmp/hs',
    ...API_NODE_ARGS,
    'dist/apps/api/src/main.js',
  ],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL:
        process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/eff_bench',
      REDIS_URL: redis.url,
      JWT_SECRET: '0123456789abcdef0123456789abcdef0123',
      THROTTLE_LIMIT: '100000000',
      SWAGGER_ENABLED: 'false',
    },
  },
);
const marks = [];
const t0 = performance.now();
child.stdout.on('data', (d) => {
  if (process.env.GC_LOG) appendFileSync(process.env.GC_LOG, d);
  for (const l of String(d).split('\n'))
    if (l.includes('Mark-Compact')) marks.push(Math.round(performance.now() - t0));
});
const base = `http://127.0.0.1:${port}`;
for (;;) {
  try {
    if ((await fetch(`${base}/api/v1/health`)).ok) break;
  } catch {
    // not listening yet
  }
  await new Promise((r) => setTimeout(r, 200));
}
const token = (
  await (
    await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        email: 'bench-gp-admin@eff.local',
        password: 'Bench-provincial-admin-2026!',
      }),
    })
  ).json()
).accessToken;
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
const total = 2000;
const slow = [];
const lat = [];
const started = performance.now();
const offset = Math.round(started - t0);
await new Promise((resolve) => {
  let sent = 0;
  let done = 0;
  const fire = () => {
    const s = performance.now();
    http.get(
      `${base}${process.env.ROUTE ?? '/api/v1/auth/me'}`,
      { agent, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        res.resume();
        res.on('end', () => {
          const ms = performance.now() - s;
          lat.push(ms);
          if (ms > 15) slow.push([Math.round(s - t0), Math.round(ms)]);
          if (++done === total) resolve();
        });
      },
    );
  };
  const tick = () => {
    const due = Math.min(total, Math.floor((performance.now() - started) / 5) + 1);
    while (sent < due) {
      sent += 1;
      fire();
    }
    if (sent < total) setTimeout(tick, Math.max(0, started + sent * 5 - performance.now()));
  };
  tick();
  if (process.env.SNAPSHOT) setTimeout(() => child.kill('SIGUSR2'), 1500);
});
lat.sort((a, b) => a - b);
console.log(
  `p50 ${lat[1000].toFixed(1)} p99 ${lat[1980].toFixed(1)}; load from ${offset} ms; slow ${JSON.stringify(slow)}`,
);
console.log(`mark-compacts at ${JSON.stringify(marks)}`);
child.kill('SIGTERM');
redis.process?.kill('SIGTERM');
agent.destroy();
setTimeout(() => process.exit(0), 500);
