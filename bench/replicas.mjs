// Member-list throughput with a PostgreSQL primary alone vs the primary plus one streaming read replica
// (DATABASE_REPLICA_URLS). Starts its own PostgreSQL 15 primary and replica with Debian's binaries (initdb,
// pg_basebackup -R) on free loopback ports in a temp folder, seeds BENCH_MEMBERS members, then measures GET
// /api/v1/members (the GP provincial admin's first page, and a name search) with autocannon against one API
// process, first without replicas, then with the replica, then without again (the spread between the two runs
// without is the noise), counting the replica's transactions per request. The two servers share this machine's
// cores, so on a small machine expect little or no gain: the point of replicas is correctness under load and
// headroom on separate hosts, and the figure says so.
//
//   npm run bench -- replicas       (or `node bench/replicas.mjs` after `npm run build`)
//
// Environment (all optional): BENCH_MEMBERS (default 200000), BENCH_CONNECTIONS (32), BENCH_DURATION (10),
// BENCH_WARMUP (3), PG15_BIN (/usr/lib/postgresql/15/bin), REDIS_URL (default: a redis-server of our own).
// Writes bench/results-replicas.json and bench/results-replicas.md.
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import argon2 from 'argon2';
import autocannon from 'autocannon';
import pg from 'pg';
import { freePort, startRedis } from '../test/harness/services.mjs';
import { BENCH_GP_ADMIN, signIn, startBenchApi } from './_api.mjs';

const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'dist/apps/api/src/cli.js');
const PG_BIN = process.env.PG15_BIN ?? '/usr/lib/postgresql/15/bin';
const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 200_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const asRoot = process.getuid?.() === 0;
const log = (m) => console.log(`[replicas] ${m}`);

function pgRun(program, args) {
  const binary = `${PG_BIN}/${program}`;
  const [command, argv] = asRoot
    ? ['runuser', ['-u', 'postgres', '--', binary, ...args]]
    : [binary, args];
  return execFileSync(command, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function own(file) {
  if (!asRoot) return;
  const id = (flag) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  chownSync(file, id('-u'), id('-g'));
}

async function startPair(base) {
  const primaryDir = path.join(base, 'primary');
  const replicaDir = path.join(base, 'replica');
  const [primaryPort, replicaPort] = [await freePort(), await freePort()];
  pgRun('initdb', ['-D', primaryDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  appendFileSync(
    path.join(primaryDir, 'postgresql.conf'),
    `listen_addresses = '127.0.0.1'\nunix_socket_directories = '${base}'\nwal_level = replica\n` +
      `max_wal_senders = 5\nhot_standby = on\nfsync = off\nsynchronous_commit = off\n` +
      `wal_keep_size = 1GB\nshared_buffers = 256MB\nmax_connections = 200\n`,
  );
  const ctl = (dir, port, ...args) => {
    writeFileSync(`${dir}.log`, '', { flag: 'a' });
    own(`${dir}.log`);
    pgRun('pg_ctl', [
      '-D',
      dir,
      '-l',
      `${dir}.log`,
      '-w',
      '-t',
      '120',
      '-o',
      `-p ${port}`,
      ...args,
    ]);
  };
  ctl(primaryDir, primaryPort, 'start');
  const admin = new pg.Client({
    connectionString: `postgres://postgres@127.0.0.1:${primaryPort}/postgres`,
  });
  await admin.connect();
  await admin.query('CREATE DATABASE eff_bench_replicas');
  await admin.end();
  const primaryUrl = `postgres://postgres@127.0.0.1:${primaryPort}/eff_bench_replicas`;
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: primaryUrl,
    REDIS_URL: 'redis://unused:1',
    JWT_SECRET: 'x'.repeat(64),
  };
  log('migrating and seeding the primary');
  execFileSync(process.execPath, [cli, 'migrate'], {
    cwd: root,
    env: { ...env, NODE_ENV: 'test' },
    stdio: 'ignore',
  });
  execFileSync(process.execPath, [cli, 'seed-members', '--count', String(MEMBERS)], {
    cwd: root,
    env: { ...env, NODE_ENV: 'test' },
    stdio: 'ignore',
  });
  log('cloning the replica (pg_basebackup -R)');
  pgRun('pg_basebackup', [
    '-h',
    '127.0.0.1',
    '-p',
    String(primaryPort),
    '-U',
    'postgres',
    '-D',
    replicaDir,
    '-R',
    '-X',
    'stream',
    '-c',
    'fast',
    '--no-sync',
  ]);
  ctl(replicaDir, replicaPort, 'start');
  return {
    primaryUrl,
    replicaUrl: `postgres://postgres@127.0.0.1:${replicaPort}/eff_bench_replicas`,
    stop: () => {
      for (const [dir, port] of [
        [replicaDir, replicaPort],
        [primaryDir, primaryPort],
      ]) {
        try {
          ctl(dir, port, 'stop', '-m', 'fast');
        } catch {
          // already down
        }
      }
    },
  };
}

/** Transactions committed in the bench database of the server at `url` (pg_stat_database). */
async function commits(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      'SELECT xact_commit::bigint AS n FROM pg_stat_database WHERE datname = current_database()',
    );
    return Number(rows[0].n);
  } finally {
    await client.end();
  }
}

/**
 * Throughput of one scenario, and how many statements per request the replica answered (its committed
 * transactions over the run, measured after the statistics flush): about 1 when the list reads went to the
 * replica, about 0 when they did not, so the figure shows where the reads ran.
 */
async function measure(baseUrl, token, urlPath, replicaUrl) {
  const options = {
    url: `${baseUrl}${urlPath}`,
    connections: CONNECTIONS,
    headers: { authorization: `Bearer ${token}` },
  };
  const before = await commits(replicaUrl);
  const warm = await autocannon({ ...options, duration: WARMUP });
  const result = await autocannon({ ...options, duration: DURATION });
  // Backends report their counters when idle, at most every 10 s (PostgreSQL's PGSTAT_IDLE_INTERVAL).
  await new Promise((r) => setTimeout(r, 11_000));
  const replicaCommits = (await commits(replicaUrl)) - before;
  const requests = warm.requests.total + result.requests.total;
  const errors = result.non2xx + result.errors + result.timeouts;
  return {
    rps: Math.round(result.requests.average),
    p99Ms: result.latency.p99,
    errors,
    replicaReadsPerRequest: Math.round((replicaCommits / Math.max(1, requests)) * 100) / 100,
  };
}

async function main() {
  const base = mkdtempSync(path.join(os.tmpdir(), 'eff-bench-replicas-'));
  chmodSync(base, 0o755);
  own(base);
  const redis = await startRedis();
  const pair = await startPair(base);
  const results = {};
  try {
    const db = new pg.Client({ connectionString: pair.primaryUrl });
    await db.connect();
    const hash = await argon2.hash(BENCH_GP_ADMIN.password, { type: argon2.argon2id });
    await db.query(
      `INSERT INTO users (email, password_hash, name, role, scope_level, scope_code, province_code, password_changed_at, version)
       VALUES ($1, $2, 'Bench GP admin', 'provincial_admin', 'province', 'GP', 'GP', now(), 1)
       ON CONFLICT (email) DO UPDATE SET password_hash = EXCLUDED.password_hash`,
      [BENCH_GP_ADMIN.email, hash],
    );
    await db.end();
    const scenarios = {
      list: '/api/v1/members?limit=50',
      search: '/api/v1/members?limit=50&q=mokoena',
    };
    // Primary alone measured again after the replica: the first run's colder caches show as the difference
    // between the two "primary alone" rows.
    for (const [label, replicaUrls] of [
      ['primary alone', ''],
      ['primary + 1 replica', pair.replicaUrl],
      ['primary alone, again', ''],
    ]) {
      process.env.DATABASE_REPLICA_URLS = replicaUrls;
      const api = await startBenchApi({ databaseUrl: pair.primaryUrl, redisUrl: redis.url });
      try {
        await new Promise((r) => setTimeout(r, 2000)); // the replica's first health check
        const token = await signIn(api.baseUrl);
        results[label] = {};
        for (const [name, urlPath] of Object.entries(scenarios)) {
          results[label][name] = await measure(api.baseUrl, token, urlPath, pair.replicaUrl);
          log(`${label} ${name}: ${JSON.stringify(results[label][name])}`);
        }
      } finally {
        await new Promise((resolve) => {
          if (api.child.exitCode !== null) return resolve();
          api.child.once('exit', resolve);
          api.child.kill('SIGTERM');
        });
      }
    }
  } finally {
    pair.stop();
    redis.process?.kill();
    rmSync(base, { recursive: true, force: true });
  }
  const cores = os.cpus().length;
  const note =
    `${cores} cores shared by the API, both PostgreSQL servers and the load generator: the replica adds no ` +
    'hardware here, so little or no gain is expected; replicas pay off when they run on their own hosts. ' +
    '"primary alone" runs before and after the replica, so the spread between its two rows is the noise ' +
    '(warm-up, other workloads on the machine); replica reads per request shows where the list reads ran.';
  writeFileSync(
    path.join(import.meta.dirname, 'results-replicas.json'),
    JSON.stringify(
      {
        members: MEMBERS,
        connections: CONNECTIONS,
        durationSeconds: DURATION,
        cores,
        results,
        note,
      },
      null,
      2,
    ),
  );
  const rows = Object.entries(results).flatMap(([label, byScenario]) =>
    Object.entries(byScenario).map(
      ([name, r]) =>
        `| ${label} | ${name} | ${r.rps} | ${r.p99Ms} | ${r.errors} | ${r.replicaReadsPerRequest} |`,
    ),
  );
  writeFileSync(
    path.join(import.meta.dirname, 'results-replicas.md'),
    `${MEMBERS} members, ${CONNECTIONS} connections, ${DURATION} s per scenario, one API process.\n\n` +
      `| setup | scenario | req/s | p99 ms | errors | replica reads per request |\n|---|---|---|---|---|---|\n` +
      `${rows.join('\n')}\n\n${note}\n`,
  );
  log('wrote bench/results-replicas.json and bench/results-replicas.md');
}

await main();
