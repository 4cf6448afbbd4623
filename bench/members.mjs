// Members API under load on a 1.2M-member database, against a hand-written peer (_peer.mjs: Express, pg,
// jsonwebtoken, the same SQL and JSON, no session check, throttle, audit or log) and the same SQL run directly
// through pg (the floor). API and peer take turns (A B A B A B, BENCH_ROUNDS rounds; the median is reported), then
// each answers a steady open-loop rate of half the peer's throughput. Cached reads (geography, statistics) are
// measured against the peer querying PostgreSQL each time.
//
//   npm run bench -- members            (builds first; or `node bench/members.mjs` after `npm run build`)
//
// Environment (all optional):
//   BENCH_DATABASE_URL   database to use (default postgres://postgres@127.0.0.1:5432/eff_bench, created if missing);
//                        it is migrated and topped up to BENCH_MEMBERS members with `cli.js seed-members`
//   BENCH_MEMBERS        members the database must hold (default 1200000)
//   BENCH_CONNECTIONS    concurrent connections (default 64)
//   BENCH_DURATION       seconds measured per scenario (default 10), after BENCH_WARMUP seconds (default 3)
//   BENCH_DROP_DATABASE  1 = drop the default database afterwards
//   REDIS_URL            Redis for the API (default: a redis-server of our own on a free port)
//   BENCH_LOG_LEVEL      the API's LOG_LEVEL (default info; its output is discarded)
//   BENCH_SCENARIOS      comma-separated scenario keys to run (default all)
//   BENCH_FLOOR_ONLY     1 = only the SQL floor (no API), e.g. to try an index
//   BENCH_API_NODE_ARGS  node flags for the API process (default: production's, see _production.mjs)
//   MALLOC_ARENA_MAX     glibc malloc arenas for the API process (default: production's, 2)
//   BENCH_API_WORKERS    API processes sharing the port as in PM2 cluster mode (default 1); memory is per process;
//                        the peer runs as many
//   BENCH_ROUNDS         API/peer rounds per scenario (default 3)
//   BENCH_STEADY_DURATION seconds of the open-loop run at half the peer's throughput (default 10; 0 skips it)
//
// Writes bench/results-members.json and bench/results-members.md.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import argon2 from 'argon2';
import autocannon from 'autocannon';
import pg from 'pg';
import 'reflect-metadata';
import { startRedis } from '../test/harness/services.mjs';
import { BENCH_GP_ADMIN, signIn, startBenchApi, startPeer, steadyRunIsolated } from './_api.mjs';
import { API_ENV, API_NODE_ARGS } from './_production.mjs';
import { memberGetQuery, memberListQuery } from './_queries.mjs';

const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'dist/apps/api/src/cli.js');
const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/eff_bench';
const databaseUrl = process.env.BENCH_DATABASE_URL ?? DEFAULT_URL;
const wantedMembers = Number(process.env.BENCH_MEMBERS ?? 1_200_000);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
const duration = Number(process.env.BENCH_DURATION ?? 10);
const warmup = Number(process.env.BENCH_WARMUP ?? 3);
/** The API's pool size; the floor uses the same number of database connections. */
const POOL_SIZE = 20;
const PROVINCE = 'GP';
const TARGETS = { peerRatio: 0.9, cachedPeerRatio: 3, openLoopP99Ratio: 1.5, rssMb: 250 };
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const steadyDuration = Number(process.env.BENCH_STEADY_DURATION ?? 10);
const API_WORKERS = Number(process.env.BENCH_API_WORKERS ?? 1);
/** Each worker's share of POOL_SIZE, so the API holds as many database connections as the floor. */
const WORKER_POOL_SIZE = Math.ceil(POOL_SIZE / API_WORKERS);

const log = (message) => console.log(`[members] ${message}`);

function runCli(args) {
  const result = spawnSync(process.execPath, [cli, ...args], {
    stdio: 'inherit',
    env: { ...process.env, DATABASE_URL: databaseUrl, NODE_ENV: 'development' },
  });
  if (result.status !== 0) throw new Error(`cli.js ${args.join(' ')} failed`);
}

async function ensureDatabase() {
  const url = new URL(databaseUrl);
  const name = url.pathname.slice(1);
  const admin = new pg.Client({
    connectionString: Object.assign(new URL(url), { pathname: '/postgres' }).href,
  });
  await admin.connect();
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (exists.rowCount === 0) {
    log(`creating database ${name}`);
    await admin.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  }
  await admin.end();
  runCli(['migrate']);
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const have = Number((await db.query('SELECT count(*) AS n FROM members')).rows[0].n);
  await db.end();
  if (have < wantedMembers) {
    log(`seeding ${wantedMembers - have} members (${have} present)`);
    const started = performance.now();
    runCli(['seed-members', '--count', String(wantedMembers - have)]);
    return { seededNow: wantedMembers - have, seedSeconds: (performance.now() - started) / 1000 };
  }
  log(`reusing ${have} members`);
  return { seededNow: 0 };
}

/** A provincial admin for GP, created (or its password reset) directly in the database. */
async function ensureAdmin(db) {
  const hash = await argon2.hash(BENCH_GP_ADMIN.password, {
    type: argon2.argon2id,
    memoryCost: 19456,
    timeCost: 2,
    parallelism: 1,
  });
  await db.query(
    `INSERT INTO users (email, password_hash, name, role, scope_level, scope_code, province_code, password_changed_at, version)
     VALUES ($1, $2, 'Bench GP admin', 'provincial_admin', 'province', $3, $3, now(), 1)
     ON CONFLICT (email) DO UPDATE SET password_hash = EXCLUDED.password_hash, failed_login_count = 0,
       locked_until = NULL, active = true`,
    [BENCH_GP_ADMIN.email, hash, PROVINCE],
  );
}

/** Parameters the scenarios draw from: GP member ids, the largest GP ward, a grace-period expiry window. */
async function loadFixtures(db) {
  const ids = (
    await db.query(
      `SELECT id FROM members TABLESAMPLE SYSTEM (1) WHERE province_code = $1 LIMIT 2000`,
      [PROVINCE],
    )
  ).rows.map((r) => r.id);
  const ward = (
    await db.query(
      `SELECT ward_code FROM members WHERE province_code = $1 GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`,
      [PROVINCE],
    )
  ).rows[0].ward_code;
  const today = new Date();
  const day = (offset) =>
    new Date(today.getTime() + offset * 86_400_000).toISOString().slice(0, 10);
  const municipality = (
    await db.query(`SELECT municipality_code FROM wards WHERE code = $1`, [ward])
  ).rows[0].municipality_code;
  return { ids, ward, municipality, expiresFrom: day(-60), expiresTo: day(-30) };
}

// The floor runs exactly the SQL MembersService runs: the same functions build it (memberListQuery and
// memberGetQuery, from dist/ through _queries.mjs), for the bench's provincial admin, with the
// query the validation pipe makes of each scenario's path (limit 25, sort surname by default).
const SCOPE = { level: 'province', code: PROVINCE };
const listSql = (query) => {
  const { text, values } = memberListQuery(SCOPE, { limit: 25, sort: 'surname', ...query });
  return { text, values };
};
const pick = (list) => list[Math.floor(Math.random() * list.length)];

const ALL_SCENARIOS = [
  {
    name: 'search surname prefix (q=Mok, GP admin)',
    key: 'search',
    path: () => '/api/v1/members?q=Mok&limit=25',
    sql: () => listSql({ q: 'Mok' }),
  },
  {
    name: 'get by id',
    key: 'getById',
    path: (f) => `/api/v1/members/${pick(f.ids)}`,
    sql: (f) => memberGetQuery(SCOPE, pick(f.ids)),
  },
  {
    name: 'one ward sorted by surname',
    key: 'ward',
    path: (f) => `/api/v1/members?wardCode=${f.ward}&sort=surname&limit=25`,
    sql: (f) => listSql({ wardCode: f.ward, sort: 'surname' }),
  },
  {
    name: 'status grace_period + expiry range',
    key: 'statusExpiry',
    path: (f) =>
      `/api/v1/members?status=grace_period&expiresFrom=${f.expiresFrom}&expiresTo=${f.expiresTo}&limit=25`,
    sql: (f) =>
      listSql({ status: ['grace_period'], expiresFrom: f.expiresFrom, expiresTo: f.expiresTo }),
  },
  // Cached in the API (Redis), read from PostgreSQL on every request by the peer; no floor.
  {
    name: 'cached: GET /geography/provinces',
    key: 'provinces',
    cached: true,
    path: () => '/api/v1/geography/provinces',
  },
  {
    name: 'cached: GET /geography/wards/{code}',
    key: 'geographyWard',
    cached: true,
    path: (f) => `/api/v1/geography/wards/${f.ward}`,
  },
  {
    name: "cached: GET /stats/membership (a municipality's wards)",
    key: 'stats',
    cached: true,
    path: (f) => `/api/v1/stats/membership?level=ward&parentCode=${f.municipality}`,
  },
];

/** BENCH_SCENARIOS=search,getById runs only those (keys above). */
const only = process.env.BENCH_SCENARIOS?.split(',').map((k) => k.trim());
const SCENARIOS = ALL_SCENARIOS.filter((s) => !only || only.includes(s.key));

function summarise(latencies, seconds, errors) {
  const sorted = Float64Array.from(latencies).sort();
  const at = (q) =>
    sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN;
  const round = (x) => Math.round(x * 100) / 100;
  return {
    requests: sorted.length,
    errors,
    reqPerSec: round(sorted.length / seconds),
    p50: round(at(0.5)),
    p95: round(at(0.95)),
    p99: round(at(0.99)),
    max: round(sorted.length ? sorted[sorted.length - 1] : NaN),
  };
}

/** Closed loop: `connections` workers each run the scenario's SQL back to back through a pool of POOL_SIZE. */
async function floorRun(pool, scenario, fixtures, seconds) {
  const latencies = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) {
        const query = scenario.sql(fixtures);
        const started = performance.now();
        try {
          await pool.query(query);
          latencies.push(performance.now() - started);
        } catch {
          errors += 1;
        }
      }
    }),
  );
  return summarise(latencies, seconds, errors);
}

function apiRun(baseUrl, token, scenario, fixtures, seconds) {
  return new Promise((resolve, reject) => {
    const latencies = [];
    let errors = 0;
    const instance = autocannon(
      {
        url: baseUrl,
        connections,
        duration: seconds,
        headers: { authorization: `Bearer ${token}` },
        requests: [
          { method: 'GET', setupRequest: (req) => ({ ...req, path: scenario.path(fixtures) }) },
        ],
      },
      (error) => (error ? reject(error) : resolve(summarise(latencies, seconds, errors))),
    );
    instance.on('response', (_client, status, _bytes, responseTime) => {
      if (status === 200) latencies.push(responseTime);
      else errors += 1;
    });
  });
}

/** The API's processes: the one spawned and, in cluster mode, its workers. */
function apiPids(pid) {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return [pid, ...children.split(/\s+/).filter(Boolean).map(Number)];
  } catch {
    return [pid];
  }
}

/** CPU seconds (user + system) the API used: with a shared machine, CPU per request is the fairer cost. */
function cpuSecondsOf(pid) {
  let total = 0;
  for (const p of apiPids(pid)) {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100 on Linux)
    } catch {
      return NaN;
    }
  }
  return total;
}

/** The largest API process (a cluster's primary only hands out connections). */
function memoryOf(pid) {
  let largest = null;
  for (const p of apiPids(pid)) {
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      const kb = (field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
      const memory = { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
      if (!largest || memory.hwmMb > largest.hwmMb) largest = memory;
    } catch {
      // a worker exiting
    }
  }
  return largest;
}

const fmt = (x, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '–');

const median = (values) => {
  const sorted = values.filter(Number.isFinite).sort((x, y) => x - y);
  return sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : NaN;
};

/** The median of each figure over the rounds (each figure on its own). */
function medianOf(rounds) {
  const out = {};
  for (const field of ['reqPerSec', 'p50', 'p95', 'p99', 'cpuMsPerRequest'])
    out[field] = median(rounds.map((r) => r[field]));
  out.errors = rounds.reduce((sum, r) => sum + r.errors, 0);
  return out;
}

function markdown(result) {
  const processes =
    API_WORKERS > 1
      ? `${API_WORKERS} cluster workers, each with pool ${WORKER_POOL_SIZE}`
      : `pool ${POOL_SIZE}`;
  const lines = [
    `${result.members.toLocaleString('en-US')} members, ${connections} connections, ${duration} s per run after a ${warmup} s warm-up, ` +
      `API and peer alternating (A B) for ${ROUNDS} rounds, medians. ` +
      `API: NODE_ENV=production, ${processes}, Redis, logging on (LOG_LEVEL ${process.env.BENCH_LOG_LEVEL ?? 'info'})${API_NODE_ARGS.length ? `, node ${API_NODE_ARGS.join(' ')}` : ''}${API_ENV.MALLOC_ARENA_MAX ? `, MALLOC_ARENA_MAX=${API_ENV.MALLOC_ARENA_MAX}` : ''}${result.api.sessionCacheSeconds !== undefined ? `, SESSION_CACHE_SECONDS=${result.api.sessionCacheSeconds}` : ''}. ` +
      `Peer (bench/_peer.mjs): Express 5 + pg + jsonwebtoken, same processes, pool, node flags. Floor: the same SQL through pg in the bench process (pool ${POOL_SIZE}). ` +
      `Latencies in ms. Machine: ${result.machine.cpus} cores, load average ${result.machine.loadBefore} before / ${result.machine.loadAfter} after.`,
    '',
    '| scenario | API req/s | peer req/s | floor req/s | API/peer | target | API p50 | API p99 | peer p50 | peer p99 | floor p99 | API CPU ms/req | peer CPU ms/req |',
    '| --- | ---: | ---: | ---: | ---: | :---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const s of result.scenarios) {
    const a = s.api ?? {};
    const p = s.peer ?? {};
    const f = s.floor ?? {};
    const target = s.cached ? TARGETS.cachedPeerRatio : TARGETS.peerRatio;
    lines.push(
      `| ${s.name} | ${fmt(a.reqPerSec, 0)} | ${fmt(p.reqPerSec, 0)} | ${fmt(f.reqPerSec, 0)} | ${fmt(s.peerRatio, 2)} | ` +
        `${Number.isFinite(s.peerRatio) ? (s.peerRatio >= target ? '≥' : '<') : ''} ${target} | ${fmt(a.p50)} | ${fmt(a.p99)} | ` +
        `${fmt(p.p50)} | ${fmt(p.p99)} | ${fmt(f.p99)} | ${fmt(a.cpuMsPerRequest, 2)} | ${fmt(p.cpuMsPerRequest, 2)} |`,
    );
  }
  const open = result.scenarios.filter((s) => s.openLoop);
  if (open.length) {
    lines.push(
      '',
      `Open loop: a steady rate of half the peer's median throughput for ${steadyDuration} s after 2 s not measured, one request on schedule every 1/rate s over up to 8 connections (bench/_steady.mjs), API then peer.`,
      '',
      '| scenario | rate req/s | API p50 | API p99 | peer p50 | peer p99 | API p99 / peer p99 | target ≤ 1.5 |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | :---: |',
    );
    for (const s of open) {
      const { rate, api, peer } = s.openLoop;
      const ratio = api.p99Ms / peer.p99Ms;
      lines.push(
        `| ${s.name} | ${rate} | ${fmt(api.p50Ms)} | ${fmt(api.p99Ms)} | ${fmt(peer.p50Ms)} | ${fmt(peer.p99Ms)} | ${fmt(ratio, 2)} | ${ratio <= TARGETS.openLoopP99Ratio ? 'yes' : 'no'} |`,
      );
    }
  }
  lines.push('');
  if (result.apiMemory)
    lines.push(
      `Memory${API_WORKERS > 1 ? ' (the largest worker)' : ''}: API VmRSS ${fmt(result.apiMemory.idleRssMb)} MB after start, peak VmRSS ${fmt(result.apiMemory.peakRssMb)} MB, VmHWM ${fmt(result.apiMemory.hwmMb)} MB (target ≤ ${TARGETS.rssMb} MB); peer peak VmRSS ${fmt(result.peerMemory?.peakRssMb)} MB.`,
    );
  if (result.emptyRoute)
    lines.push(
      `The API's empty route (GET /api/v1/health: no auth, database, Redis or log line), same load: ${fmt(result.emptyRoute.reqPerSec, 0)} req/s, p99 ${fmt(result.emptyRoute.p99)} ms, ${fmt(result.emptyRoute.cpuMsPerRequest, 2)} CPU ms/req.`,
    );
  if (result.apiSkipped) lines.push(`API not measured: ${result.apiSkipped}`);
  lines.push(
    `Targets: API/peer ≥ ${TARGETS.peerRatio} (cached reads ≥ ${TARGETS.cachedPeerRatio}), open-loop API p99 ≤ ${TARGETS.openLoopP99Ratio}× the peer's, peak RSS ≤ ${TARGETS.rssMb} MB.`,
  );
  return `${lines.join('\n')}\n`;
}

/** One closed-loop run against a server, with its CPU per request (all its processes). */
async function measure(server, token, scenario, fixtures, seconds) {
  const cpuBefore = cpuSecondsOf(server.child.pid);
  const measured = await apiRun(server.baseUrl, token, scenario, fixtures, seconds);
  measured.cpuMsPerRequest =
    Math.round(((cpuSecondsOf(server.child.pid) - cpuBefore) * 1000 * 100) / measured.requests) /
    100;
  return measured;
}

/** The statistics views must hold the seeded members for the statistics scenario to mean anything. */
async function ensureStatistics(db) {
  const rows = Number(
    (await db.query('SELECT count(*) AS n FROM stats_ward_membership')).rows[0].n,
  );
  if (rows > 0) return;
  log('refreshing the statistics views');
  await db.query('REFRESH MATERIALIZED VIEW stats_ward_membership');
  await db.query('REFRESH MATERIALIZED VIEW stats_joins_monthly');
  await db.query('REFRESH MATERIALIZED VIEW stats_joins_monthly_municipality');
}

const stop = async (server) => {
  if (!server) return;
  server.child.kill('SIGTERM');
  await new Promise((r) => (server.child.exitCode !== null ? r() : server.child.once('exit', r)));
};

async function benchmark() {
  const loadBefore = os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
  const seed = await ensureDatabase();
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const members = Number((await db.query('SELECT count(*) AS n FROM members')).rows[0].n);
  await ensureAdmin(db);
  await ensureStatistics(db);
  const fixtures = await loadFixtures(db);
  const serverVersion = (await db.query('SHOW server_version')).rows[0].server_version;
  await db.end();

  const pool = new pg.Pool({ connectionString: databaseUrl, max: POOL_SIZE });
  const scenarios = [];
  for (const scenario of SCENARIOS) {
    const entry = { name: scenario.name, key: scenario.key, cached: !!scenario.cached };
    scenarios.push(entry);
    if (!scenario.sql) continue;
    log(`floor: ${scenario.name}`);
    await floorRun(pool, scenario, fixtures, warmup);
    const cpuBefore = process.cpuUsage();
    const floor = await floorRun(pool, scenario, fixtures, duration);
    const cpu = process.cpuUsage(cpuBefore);
    floor.clientCpuMsPerQuery =
      Math.round(((cpu.user + cpu.system) / 1000 / floor.requests) * 100) / 100;
    entry.floor = floor;
  }
  await pool.end();

  const result = {
    ranAt: new Date().toISOString(),
    members,
    connections,
    durationSeconds: duration,
    warmupSeconds: warmup,
    rounds: ROUNDS,
    postgres: serverVersion,
    seed,
    machine: { cpus: os.cpus().length, loadBefore, loadAfter: '' },
    api: {
      workers: API_WORKERS,
      poolPerWorker: WORKER_POOL_SIZE,
      nodeArgs: API_NODE_ARGS,
      env: API_ENV,
      sessionCacheSeconds: process.env.SESSION_CACHE_SECONDS ?? '30 (default)',
    },
    targets: TARGETS,
    scenarios,
  };

  if (process.env.BENCH_FLOOR_ONLY === '1') {
    result.apiSkipped = 'BENCH_FLOOR_ONLY=1';
    return finish(result);
  }
  const redis = await startRedis();
  let api;
  let peer;
  try {
    const options = {
      databaseUrl,
      redisUrl: redis.url,
      nodeArgs: API_NODE_ARGS,
      workers: API_WORKERS,
      poolSize: WORKER_POOL_SIZE,
      jwtSecret: randomBytes(32).toString('hex'),
    };
    api = await startBenchApi(options);
    peer = await startPeer(options);
    const idleRssMb = memoryOf(api.child.pid)?.rssMb ?? NaN;
    let peakRssMb = 0;
    let peerPeakRssMb = 0;
    const sampler = setInterval(() => {
      peakRssMb = Math.max(peakRssMb, memoryOf(api.child.pid)?.rssMb ?? 0);
      peerPeakRssMb = Math.max(peerPeakRssMb, memoryOf(peer.child.pid)?.rssMb ?? 0);
    }, 200);
    for (const [index, scenario] of SCENARIOS.entries()) {
      const entry = scenarios[index];
      const token = await signIn(api.baseUrl); // access tokens live 15 minutes: one per scenario
      log(`API and peer: ${scenario.name}`);
      await apiRun(api.baseUrl, token, scenario, fixtures, warmup);
      await apiRun(peer.baseUrl, token, scenario, fixtures, warmup);
      const apiRounds = [];
      const peerRounds = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        apiRounds.push(await measure(api, token, scenario, fixtures, duration));
        peerRounds.push(await measure(peer, token, scenario, fixtures, duration));
      }
      entry.api = { ...medianOf(apiRounds), rounds: apiRounds };
      entry.peer = { ...medianOf(peerRounds), rounds: peerRounds };
      entry.peerRatio = entry.api.reqPerSec / entry.peer.reqPerSec;
      if (entry.floor) entry.floorRatio = entry.api.reqPerSec / entry.floor.reqPerSec;
      if (steadyDuration > 0) {
        const rate = Math.max(1, Math.round(entry.peer.reqPerSec / 2));
        const path = scenario.path(fixtures);
        log(`open loop at ${rate} req/s: ${scenario.name}`);
        entry.openLoop = {
          rate,
          path,
          api: await steadyRunIsolated(`${api.baseUrl}${path}`, token, rate, steadyDuration, 2),
          peer: await steadyRunIsolated(`${peer.baseUrl}${path}`, token, rate, steadyDuration, 2),
        };
      }
    }
    clearInterval(sampler);
    result.apiMemory = { idleRssMb, peakRssMb, hwmMb: memoryOf(api.child.pid)?.hwmMb ?? NaN };
    result.peerMemory = { peakRssMb: peerPeakRssMb };
    // The stack's own ceiling on this machine: a route with no auth, database, Redis or log line (after the
    // memory readings: the targets are about the member routes).
    log('API: empty route (GET /api/v1/health)');
    const empty = { path: () => '/api/v1/health' };
    await apiRun(api.baseUrl, '', empty, fixtures, warmup);
    result.emptyRoute = await measure(api, '', empty, fixtures, duration);
  } finally {
    await stop(api);
    await stop(peer);
    redis.process?.kill('SIGTERM');
  }
  return finish(result);
}

async function finish(result) {
  result.machine.loadAfter = os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');

  if (process.env.BENCH_DROP_DATABASE === '1' && !process.env.BENCH_DATABASE_URL) {
    const admin = new pg.Client({
      connectionString: DEFAULT_URL.replace(/\/eff_bench$/, '/postgres'),
    });
    await admin.connect();
    await admin.query('DROP DATABASE eff_bench');
    await admin.end();
  }

  writeFileSync(
    path.join(import.meta.dirname, 'results-members.json'),
    `${JSON.stringify(result, null, 2)}\n`,
  );
  writeFileSync(path.join(import.meta.dirname, 'results-members.md'), markdown(result));
  console.log(markdown(result));
}

await benchmark();
