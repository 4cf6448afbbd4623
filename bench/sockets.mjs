// Sockets bench: N socket.io clients on ONE API process, the fan-out latency of one event to all of them, and
// the process's memory. `npm run bench -- sockets` (after `npm run build`); writes bench/results-sockets.json
// and .md. Needs PostgreSQL: BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres, trust auth); a
// throwaway database is created and dropped. Uses REDIS_URL when set (the production shape: Redis adapter).
//
// The event comes through a real route: POST /api/v1/members (member.created, sent to the national room where
// every bench socket sits), timed from just before the request to each socket's receipt. The route is detected
// by probing it (an empty body gets 400); were it absent (404), the same RealtimeHub would run on a bare
// socket.io server (test/harness/realtime-hub-server.mjs) with the event published on its DomainEventBus; the
// result says which mode ran.
/* global fetch */
import { Buffer } from 'node:buffer';
import { fork, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { io } from 'socket.io-client';
import { freePort } from '../test/harness/services.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');
const SOCKETS = Number(process.env.BENCH_SOCKETS ?? 2000);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 20);
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
// A throwaway user in the throwaway bench database, never a real account.
const ADMIN = { email: 'sockets@bench.local', password: 'Fan-Out-Measure-Pass-2026!' };
const JWT_SECRET = randomBytes(32).toString('hex');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rssMb = (pid) => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
};
const percentile = (sorted, p) =>
  sorted.length
    ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
    : NaN;

/** A valid, unique South African ID number (YYMMDD SSSS C 8 Z, Luhn check digit). */
function idNumber(seq) {
  const base = `900101${String(5000 + (seq % 4999)).padStart(4, '0')}08`;
  let sum = 0;
  for (let i = 0; i < 12; i += 1) {
    let d = Number(base[11 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return `${base}${(10 - (sum % 10)) % 10}`;
}

async function admin(sql) {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function startApi(dbUrl) {
  const port = await freePort();
  const env = {
    ...process.env,
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: dbUrl,
    JWT_SECRET,
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    LOG_LEVEL: 'warn',
    THROTTLE_LIMIT: '1000000',
    AUTH_THROTTLE_LIMIT: '1000000',
    REDIS_KEY_PREFIX: `bench-${process.pid}:`,
  };
  const migrate = spawnSync(process.execPath, ['dist/apps/api/src/cli.js', 'migrate'], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
  });
  if (migrate.status !== 0) throw new Error(`migrate failed:\n${migrate.stdout}${migrate.stderr}`);
  const child = spawn(process.execPath, ['dist/apps/api/src/main.js'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let errors = '';
  child.stderr.on('data', (chunk) => (errors += chunk.toString()));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i += 1) {
    if (child.exitCode !== null) throw new Error(`API exited during start:\n${errors}`);
    try {
      if ((await fetch(`${base}/api/v1/health`)).ok) return { base, child };
    } catch {
      // not yet
    }
    await sleep(100);
  }
  throw new Error('API did not start');
}

async function startHub() {
  const child = fork(path.join(ROOT, 'test/harness/realtime-hub-server.mjs'), [], {
    env: { ...process.env, REDIS_KEY_PREFIX: `bench-hub-${process.pid}:` },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise((resolve) => child.once('message', (m) => resolve(m.port)));
  return { base: `http://127.0.0.1:${port}`, child };
}

/**
 * The clients live in BENCH_CLIENT_PROCS child processes (this file with `client`), so one client event loop
 * decoding 2,000 messages in a row does not dominate the figure. Each reports arrival times (Date.now()).
 */
async function startClients(base, token) {
  const procs = Number(process.env.BENCH_CLIENT_PROCS ?? 4);
  const started = Date.now();
  const workers = [];
  for (let p = 0; p < procs; p += 1) {
    const count = Math.floor(SOCKETS / procs) + (p < SOCKETS % procs ? 1 : 0);
    const child = fork(import.meta.filename, ['client'], {
      env: { ...process.env, BENCH_BASE: base, BENCH_TOKEN: token, BENCH_COUNT: String(count) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    workers.push({ child, count });
  }
  await Promise.all(
    workers.map(
      (w) =>
        new Promise((resolve, reject) => {
          w.child.once('message', (m) => (m.connected ? resolve() : reject(new Error(m.error))));
        }),
    ),
  );
  const connectMs = Date.now() - started;
  return {
    connectMs,
    count: workers.reduce((n, w) => n + w.count, 0),
    /** Arms every client for the next member.created; resolves (armed) once all listen, then `arrivals`. */
    arm: async () => {
      const waitFor = (w, key) =>
        new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no ${key} from a client`)), 20_000);
          const listener = (m) => {
            if (!(key in m)) return;
            clearTimeout(timer);
            w.child.off('message', listener);
            resolve(m[key]);
          };
          w.child.on('message', listener);
        });
      const armed = workers.map((w) => waitFor(w, 'armed'));
      const arrivals = Promise.all(workers.map((w) => waitFor(w, 'arrivals'))).then((l) =>
        l.flat(),
      );
      for (const w of workers) w.child.send({ arm: true });
      await Promise.all(armed);
      return { arrivals };
    },
    close: () => workers.forEach((w) => w.child.kill('SIGTERM')),
  };
}

async function clientMain() {
  const count = Number(process.env.BENCH_COUNT);
  const sockets = [];
  try {
    for (let i = 0; i < count; i += 50) {
      const batch = [];
      for (let j = i; j < Math.min(count, i + 50); j += 1) {
        const socket = io(`${process.env.BENCH_BASE}/realtime`, {
          path: '/socket.io',
          transports: ['websocket'],
          auth: { token: process.env.BENCH_TOKEN },
          reconnection: false,
          forceNew: true,
          timeout: 30_000,
        });
        sockets.push(socket);
        batch.push(
          new Promise((resolve, reject) => {
            socket.once('connect', resolve);
            socket.once('connect_error', reject);
          }),
        );
      }
      await Promise.all(batch);
    }
  } catch (error) {
    process.send({ connected: false, error: String(error) });
    return;
  }
  process.send({ connected: true });
  process.on('message', (m) => {
    if (!m.arm) return;
    const arrivals = [];
    for (const s of sockets) {
      s.once('member.created', () => {
        arrivals.push(Date.now());
        if (arrivals.length === sockets.length) process.send({ arrivals });
      });
    }
    process.send({ armed: true });
  });
  process.on('SIGTERM', () => {
    for (const s of sockets) s.close();
    process.exit(0);
  });
}

async function main() {
  const dbName = `bench_sockets_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE ${dbName}`);
  const dbUrl = new URL(PG_URL);
  dbUrl.pathname = `/${dbName}`;
  let api;
  let hub;
  let activeClients;
  try {
    api = await startApi(dbUrl.toString());
    const login = await fetch(`${api.base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ADMIN),
    });
    const { accessToken } = await login.json();
    // Probe the route itself (Swagger may be disabled): an empty body gets 400 when it exists, 404 when not.
    const probe = await fetch(`${api.base}/api/v1/members`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
      body: '{}',
    });
    const membersRoute = probe.status !== 404;
    if (membersRoute && probe.status !== 400)
      throw new Error(`POST /api/v1/members with an empty body: ${probe.status}, expected 400`);
    const rssIdle = rssMb(api.child.pid);

    // Sockets on the real API process: connection time and memory.
    let clients = await startClients(api.base, accessToken);
    activeClients = clients;
    const connectMs = clients.connectMs;
    await sleep(1000);
    const rssWithSockets = rssMb(api.child.pid);

    let mode;
    let target = api.child.pid;
    let trigger;
    if (membersRoute) {
      mode = 'api: POST /api/v1/members → member.created';
      let seq = 0;
      trigger = async () => {
        seq += 1;
        const res = await fetch(`${api.base}/api/v1/members`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
          body: JSON.stringify({
            idNumber: idNumber(seq),
            firstNames: 'Bench',
            surname: `Member${seq}`,
            wardCode: '79800001',
            consentGiven: true,
          }),
        });
        if (res.status !== 201) throw new Error(`POST /members: ${res.status} ${await res.text()}`);
      };
    } else {
      mode =
        'hub: RealtimeHub on a bare socket.io server, DomainEventBus.publish (members route absent)';
      clients.close();
      hub = await startHub();
      const national = Buffer.from(
        JSON.stringify({
          userId: 'bench',
          sessionId: 'bench',
          scope: { level: 'national', code: null },
          permissions: ['members:read', 'applications:read', 'leadership:read'],
          expiresAt: Date.now() + 3_600_000,
        }),
      ).toString('base64url');
      clients = await startClients(hub.base, national);
      target = hub.child.pid;
      let seq = 0;
      trigger = async () => {
        seq += 1;
        hub.child.send({
          publish: {
            type: 'member.created',
            area: {
              provinceCode: 'WC',
              districtCode: 'CPT',
              municipalityCode: 'CPT',
              wardCode: '19100001',
            },
            payload: {
              memberId: `m-${seq}`,
              membershipNumber: `B${seq}`,
              status: 'active',
              wardCode: '19100001',
            },
          },
        });
      };
    }
    activeClients = clients;

    const deliveries = [];
    const lastArrivals = [];
    for (let e = 0; e < EVENTS; e += 1) {
      const { arrivals } = await clients.arm();
      const t0 = Date.now();
      await trigger();
      const times = await arrivals;
      if (times.length !== clients.count)
        throw new Error(`${times.length} of ${clients.count} received`);
      let last = 0;
      for (const t of times) {
        deliveries.push(t - t0);
        last = Math.max(last, t - t0);
      }
      lastArrivals.push(last);
      await sleep(200);
    }
    deliveries.sort((x, y) => x - y);
    lastArrivals.sort((x, y) => x - y);
    const round = (n) => Math.round(n * 10) / 10;
    const result = {
      mode,
      sockets: clients.count,
      events: EVENTS,
      redis: Boolean(process.env.REDIS_URL),
      connectMs,
      deliveryMs: {
        p50: round(percentile(deliveries, 50)),
        p95: round(percentile(deliveries, 95)),
        p99: round(percentile(deliveries, 99)),
        max: round(deliveries[deliveries.length - 1]),
      },
      lastSocketMs: {
        p50: round(percentile(lastArrivals, 50)),
        p99: round(percentile(lastArrivals, 99)),
      },
      apiRssMb: { idle: round(rssIdle), withSockets: round(rssWithSockets) },
      fanoutProcessRssMb: round(rssMb(target)),
      targetP99Ms: 250,
      meetsTarget: percentile(deliveries, 99) < 250,
      machine: { cpus: cpus().length, loadAverage1m: Math.round(loadavg()[0] * 10) / 10 },
      note: 'Clients run in BENCH_CLIENT_PROCS (4) Node processes on the same machine as the server: latency includes their scheduling, and a busy machine (load average) inflates the tail.',
    };
    writeFileSync(
      path.join(import.meta.dirname, 'results-sockets.json'),
      JSON.stringify(result, null, 2),
    );
    writeFileSync(
      path.join(import.meta.dirname, 'results-sockets.md'),
      [
        `Mode: ${mode}${result.redis ? ' (Redis adapter)' : ' (no Redis)'}`,
        '',
        '| measure | value |',
        '| --- | --- |',
        `| sockets on one process | ${result.sockets} |`,
        `| time to connect all (websocket) | ${result.connectMs} ms |`,
        `| fan-out latency per delivery, p50 / p95 / p99 / max | ${result.deliveryMs.p50} / ${result.deliveryMs.p95} / ${result.deliveryMs.p99} / ${result.deliveryMs.max} ms |`,
        `| time until the last socket has it, p50 / p99 (${EVENTS} events) | ${result.lastSocketMs.p50} / ${result.lastSocketMs.p99} ms |`,
        `| API RSS idle → with ${result.sockets} sockets | ${result.apiRssMb.idle} → ${result.apiRssMb.withSockets} MB |`,
        `| target p99 < 250 ms | ${result.meetsTarget ? 'met' : 'NOT met'} |`,
        `| machine | ${result.machine.cpus} CPUs, load average ${result.machine.loadAverage1m} |`,
        '',
      ].join('\n'),
    );
    console.log(JSON.stringify(result, null, 2));
  } finally {
    activeClients?.close();
    hub?.child.kill('SIGTERM');
    if (api) {
      api.child.kill('SIGTERM');
      await new Promise((r) => (api.child.exitCode !== null ? r() : api.child.once('exit', r)));
    }
    await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  }
}

const run = process.argv[2] === 'client' ? clientMain : main;
run().then(
  () => process.argv[2] !== 'client' && process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
