// Diagnostic (not part of npm run bench): after a 2 s warm-up, 2,000 requests at a steady 200 req/s on one route of the API (production's
// node flags, or BENCH_API_NODE_ARGS) against BENCH_DATABASE_URL (the members bench database, with its GP admin);
// prints p50/p99, the slow answers (start ms, duration ms) and when the API ran a mark-compact (--trace-gc).
// SNAPSHOT=1 also writes a heap snapshot to /tmp/hs 1.5 s into the load; GC_FLAGS adds node flags (e.g.
// --trace-gc-nvp) and GC_LOG=<file> keeps the API's stdout (the GC trace).
//
//   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/eff_bench ROUTE=/api/v1/auth/me node bench/_tail.mjs
import { appendFileSync, mkdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { startRedis } from '../test/harness/services.mjs';
import { signIn, startBenchApi, steadyRun } from './_api.mjs';
import { API_NODE_ARGS } from './_production.mjs';

if (process.env.SNAPSHOT) mkdirSync('/tmp/hs', { recursive: true });
const redis = await startRedis();
const t0 = performance.now();
const api = await startBenchApi({
  databaseUrl: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/eff_bench',
  redisUrl: redis.url,
  nodeArgs: [
    '--trace-gc',
    ...(process.env.GC_FLAGS ?? '').split(' ').filter(Boolean),
    '--heapsnapshot-signal=SIGUSR2',
    '--diagnostic-dir=/tmp/hs',
    ...API_NODE_ARGS,
  ],
  stdout: 'pipe',
});
const since = (t) => Math.round(t - t0);
const marks = [];
api.child.stdout.on('data', (d) => {
  if (process.env.GC_LOG) appendFileSync(process.env.GC_LOG, d);
  for (const line of String(d).split('\n'))
    if (line.includes('Mark-Compact')) marks.push(since(performance.now()));
});
const token = await signIn(api.baseUrl);
const url = `${api.baseUrl}${process.env.ROUTE ?? '/api/v1/auth/me'}`;
// Warm-up, not measured: the first answers fill the caches and the JIT's feedback.
await steadyRun(url, token, 200, 2);
const loadFrom = since(performance.now());
if (process.env.SNAPSHOT) setTimeout(() => api.child.kill('SIGUSR2'), 1500);
const slow = [];
const result = await steadyRun(
  url,
  token,
  200,
  10,
  (start, ms) => ms > 15 && slow.push([since(start), Math.round(ms)]),
);
console.log(
  `p50 ${result.p50Ms} p99 ${result.p99Ms}; load from ${loadFrom} ms; slow ${JSON.stringify(slow)}`,
);
console.log(`mark-compacts at ${JSON.stringify(marks)}`);
api.child.kill('SIGTERM');
redis.process?.kill('SIGTERM');
