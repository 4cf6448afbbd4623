// Profiling aid (not part of `npm run bench`): starts the compiled API against the bench database, drives one
// scenario with autocannon and reports API CPU ms/request and VmHWM; PROFILE=1 adds --cpu-prof (written to
// bench/profiles/ when the API exits); NODE_ARGS replaces production's node flags. PEER=1 drives (and profiles)
// the hand-written peer (_peer.mjs) instead, with a token from the API. `node bench/_layers.mjs <profile>` sums a
// profile by layer.
//
//   node bench/_profile.mjs <path> [seconds] [connections]
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { startRedis } from '../test/harness/services.mjs';
import { randomBytes } from 'node:crypto';
import { signIn, startBenchApi, startPeer } from './_api.mjs';
import { cpuMsOf } from './_proc.mjs';
import { API_NODE_ARGS } from './_production.mjs';

const databaseUrl =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/eff_bench';
const target = process.argv[2] ?? '/api/v1/members/:id';
const seconds = Number(process.argv[3] ?? 10);
const connections = Number(process.argv[4] ?? 64);

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
const profilePeer = process.env.PEER === '1';
const jwtSecret = randomBytes(32).toString('hex');
const api = await startBenchApi({
  databaseUrl,
  redisUrl: redis.url,
  jwtSecret,
  nodeArgs: profilePeer
    ? API_NODE_ARGS
    : [
        ...(process.env.PROFILE === '1' ? ['--cpu-prof', `--cpu-prof-dir=${profiles}`] : []),
        ...(process.env.NODE_ARGS ? process.env.NODE_ARGS.split(' ') : API_NODE_ARGS),
      ],
  poolSize: Number(process.env.POOL ?? 20),
  stdout: process.env.STDOUT_FILE ? openSync(process.env.STDOUT_FILE, 'w') : 'ignore',
});
const token = await signIn(api.baseUrl);
const { child, baseUrl: base } = profilePeer
  ? await startPeer({
      databaseUrl,
      jwtSecret,
      poolSize: Number(process.env.POOL ?? 20),
      nodeArgs: [
        ...(process.env.PROFILE === '1' ? ['--cpu-prof', `--cpu-prof-dir=${profiles}`] : []),
        ...(process.env.NODE_ARGS ? process.env.NODE_ARGS.split(' ') : API_NODE_ARGS),
      ],
    })
  : api;
const pick = () => ids[Math.floor(Math.random() * ids.length)];
const pathFor = () => target.replace(':id', pick()).replace(':ward', ward);
const cpu = () => cpuMsOf(child.pid);
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
for (const server of profilePeer ? [child, api.child] : [child]) {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
}
redis.process?.kill('SIGTERM');
