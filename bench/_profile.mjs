// Profiling aid (not part of `npm run bench`): starts the compiled API against the bench database, drives one
// scenario with autocannon and reports API CPU ms/request and VmHWM; PROFILE=1 adds --cpu-prof (written to
// bench/profiles/ when the API exits).
//
//   node bench/_profile.mjs <path> [seconds] [connections]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout } from 'node:timers/promises';
import autocannon from 'autocannon';
import pg from 'pg';
import { freePort, startRedis } from '../test/harness/services.mjs';

const fetch = globalThis.fetch;
const root = path.resolve(import.meta.dirname, '..');
const databaseUrl =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/eff_bench';
const target = process.argv[2] ?? '/api/v1/members/:id';
const seconds = Number(process.argv[3] ?? 10);
const connections = Number(process.argv[4] ?? 64);
// A throwaway user in the throwaway bench database, never a real account.
const ADMIN = { email: 'bench-gp-admin@eff.local', password: 'Bench-provincial-admin-2026!' };

const port = await freePort();
const db = new pg.Client({ connectionString: databaseUrl });
await db.connect();
const ids = (
  await db.query(
    `SELECT id FROM members TABLESAMPLE SYSTEM (1) WHERE province_code = 'GP' LIMIT 2000`,
  )
).rows.map((r) => r.id);
const ward = (
  await db.query(
    `SELECT ward_code FROM members WHERE province_code = 'GP' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`,
  )
).rows[0].ward_code;
await db.end();

const redis = await startRedis();
const profiles = path.join(import.meta.dirname, 'profiles');
mkdirSync(profiles, { recursive: true });
const nodeArgs = [
  ...(process.env.PROFILE === '1' ? ['--cpu-prof', `--cpu-prof-dir=${profiles}`] : []),
  ...(process.env.NODE_ARGS ? process.env.NODE_ARGS.split(' ') : []),
  path.join(root, 'dist/apps/api/src/main.js'),
];
const child = spawn(process.execPath, nodeArgs, {
  cwd: root,
  stdio: [
    'ignore',
    process.env.STDOUT_FILE ? openSync(process.env.STDOUT_FILE, 'w') : 'ignore',
    'inherit',
  ],
  env: {
    ...process.env,
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: process.env.POOL ?? '20',
    REDIS_URL: redis.url,
    JWT_SECRET: randomBytes(32).toString('hex'),
    THROTTLE_LIMIT: '100000000',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    SWAGGER_ENABLED: 'false',
  },
});
const base = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${base}/api/v1/health`)).ok) break;
  } catch {
    // not yet
  }
  if (i > 240) throw new Error('API did not start');
  await setTimeout(250);
}
const token = (
  await (
    await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ADMIN),
    })
  ).json()
).accessToken;
const pick = () => ids[Math.floor(Math.random() * ids.length)];
const pathFor = () => target.replace(':id', pick()).replace(':ward', ward);
const cpu = () => {
  const f = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};
const hwm = () =>
  Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) / 1024;
const run = (duration) =>
  new Promise((resolve, reject) => {
    const inst = autocannon(
      {
        url: base,
        connections,
        duration,
        headers: { authorization: `Bearer ${token}` },
        requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: pathFor() }) }],
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    void inst;
  });
await run(3);
const before = cpu();
const res = await run(seconds);
const used = cpu() - before;
console.log(
  JSON.stringify({
    target,
    reqPerSec: res.requests.average,
    p99: res.latency.p99,
    non2xx: res.non2xx,
    total: res.requests.total,
    cpuMsPerReq: Math.round((used / res.requests.total) * 1000) / 1000,
    hwmMb: Math.round(hwm()),
  }),
);
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
redis.process?.kill('SIGTERM');
