// Profiling aid (not part of `npm run bench`): two builds of the API and the peer on one path, taking turns
// (before, after, peer; AB_ROUNDS rounds of AB_SECONDS each at AB_CONNECTIONS), so all three see the same machine.
// Prints each round and the medians of req/s and CPU ms per request, and each build's ratio to the peer.
//
//   AB_BEFORE=/path/to/old/dist/apps/api/src/main.js node bench/_ab.mjs '/api/v1/members/:id' [rounds] [seconds]
//
// `:id`, `:ward` and `:municipality` are filled in as in _profile.mjs. The "before" build needs node_modules
// reachable from its folder (e.g. a copy of dist/ next to a node_modules symlink). BENCH_DATABASE_URL as members.mjs.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import autocannon from 'autocannon';
import pg from 'pg';
import { startRedis } from '../test/harness/services.mjs';
import { signIn, startBenchApi, startPeer } from './_api.mjs';
import { cpuMsOf } from './_proc.mjs';
import { API_NODE_ARGS } from './_production.mjs';

const databaseUrl =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/eff_bench';
const target = process.argv[2] ?? '/api/v1/members/:id';
const rounds = Number(process.argv[3] ?? 3);
const seconds = Number(process.argv[4] ?? 6);
const connections = Number(process.env.AB_CONNECTIONS ?? 64);

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
const municipality = (await db.query(`SELECT municipality_code FROM wards WHERE code = $1`, [ward]))
  .rows[0].municipality_code;
await db.end();

const redis = await startRedis();
const options = {
  databaseUrl,
  redisUrl: redis.url,
  jwtSecret: randomBytes(32).toString('hex'),
  nodeArgs: API_NODE_ARGS,
};
const servers = [];
if (process.env.AB_BEFORE)
  servers.push({
    name: 'before',
    ...(await startBenchApi({ ...options, entryPoint: process.env.AB_BEFORE })),
  });
servers.push({ name: 'after', ...(await startBenchApi(options)) });
servers.push({ name: 'peer', ...(await startPeer(options)) });
const token = await signIn(servers.at(-2).baseUrl);

const pick = () => ids[Math.floor(Math.random() * ids.length)];
const pathFor = () =>
  target.replace(':id', pick()).replace(':ward', ward).replace(':municipality', municipality);
const cpu = cpuMsOf;
const run = (base, duration) =>
  new Promise((resolve, reject) => {
    autocannon(
      {
        url: base,
        connections,
        duration,
        headers: { authorization: `Bearer ${token}` },
        requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: pathFor() }) }],
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
  });

for (const s of servers) await run(s.baseUrl, 2);
const results = Object.fromEntries(servers.map((s) => [s.name, []]));
for (let round = 0; round < rounds; round += 1) {
  for (const s of servers) {
    const before = cpu(s.child.pid);
    const res = await run(s.baseUrl, seconds);
    const entry = {
      reqPerSec: Math.round(res.requests.total / seconds),
      cpuMsPerReq: Math.round(((cpu(s.child.pid) - before) / res.requests.total) * 1000) / 1000,
      p99: res.latency.p99,
      non2xx: res.non2xx,
    };
    results[s.name].push(entry);
    console.log(`round ${round + 1} ${s.name.padEnd(6)} ${JSON.stringify(entry)}`);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const peer = median(results.peer.map((r) => r.reqPerSec));
for (const [name, list] of Object.entries(results)) {
  const rps = median(list.map((r) => r.reqPerSec));
  const ratios = list.map((r, i) => r.reqPerSec / results.peer[i].reqPerSec);
  console.log(
    `${name.padEnd(6)} median ${rps} req/s, ${median(list.map((r) => r.cpuMsPerReq))} CPU ms/req, ` +
      `÷ peer ${(rps / peer).toFixed(2)} (per round ${ratios.map((x) => x.toFixed(2)).join(' ')})`,
  );
}
console.log(
  `load average ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
for (const s of servers) {
  s.child.kill('SIGTERM');
  await new Promise((r) => (s.child.exitCode !== null ? r() : s.child.once('exit', r)));
}
redis.process?.kill('SIGTERM');
