// A 100,000-member SMS campaign: queued in one transaction, then delivered to a BulkSMS stand-in, with the
// latency of GET /auth/me idle and during the delivery.
//   npm run bench -- campaign            (builds first; or `node bench/campaign.mjs` after `npm run build`)
// What it does, on a throwaway database next to BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres):
//  1. migrates it and inserts BENCH_CAMPAIGN_MEMBERS (100,000) active members with cell numbers in one GP ward's
//     municipality (one INSERT … SELECT; the members themselves are not what is measured);
//  2. starts the compiled API (production settings, Redis from REDIS_URL or a redis-server of its own) with
//     SMS_PROVIDER=bulksms against a stand-in of the BulkSMS JSON API in this process (201 + message id per
//     POST /messages, as test/harness/bulksms-stand-in.ts), the dispatcher off while queuing;
//  3. measures GET /auth/me at a steady BENCH_ME_RATE (50 req/s, open loop) idle: the median of BENCH_IDLE_WINDOWS (5)
//     windows of 5 s, as during the delivery;
//  4. creates a template and a campaign draft for the municipality and times POST /campaigns/{id}/send (the
//     set-based INSERT … SELECT of every message, target < 30 s);
//  5. delivers it, measuring the delivery rate until every message is sent (target ≥ 500 msg/s) while GET /auth/me
//     runs at the same steady rate, once per mode of BENCH_CAMPAIGN_MODES (default `worker,worker-paced`, a
//     fresh 100k campaign each):
//       api           the API process delivers too (restarted with MESSAGING_DISPATCH_INTERVAL_MS=100): the old way;
//       worker        the API runs with MESSAGING_DISPATCH=off and a separate `cli.js dispatch --interval-ms 100`
//                     process delivers (the PM2 app / compose service of deploy/, nice 10 by default);
//       worker-paced  the same worker with MESSAGING_SMS_PER_SECOND=BENCH_SMS_PER_SECOND (default 700).
//     CPU ms per message of each process (API, worker, PostgreSQL, Redis, this process: stand-in and load) is
//     reported too.
//     The report puts idle and during-send p99 of both side by side (target: during ≤ 1.5 × idle).
// Writes bench/results-campaign.json and bench/results-campaign.md.
import { spawn, spawnSync } from 'node:child_process';
import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { startRedis } from '../test/harness/services.mjs';
import { startBenchApi, steadyRunIsolated } from './_api.mjs';
import { cpuMsNamed, cpuMsOf } from './_proc.mjs';

const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'dist/apps/api/src/cli.js');
const adminUrl = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const MEMBERS = Number(process.env.BENCH_CAMPAIGN_MEMBERS ?? 100_000);
const ME_RATE = Number(process.env.BENCH_ME_RATE ?? 50);
const IDLE_WINDOWS = Number(process.env.BENCH_IDLE_WINDOWS ?? 5);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const TARGETS = { queueSeconds: 30, deliveredPerSecond: 500, duringOverIdle: 1.5 };
const SMS_PER_SECOND = Number(process.env.BENCH_SMS_PER_SECOND ?? 700);
const MODES = (process.env.BENCH_CAMPAIGN_MODES ?? 'worker,worker-paced')
  .split(',')
  .map((m) => m.trim());
const ADMIN = { email: 'bench-campaign@eff.local', password: 'Campaign-Chief-Admin-2026!' };
const TOKEN = { id: 'bench-token-id', secret: 'bench-token-secret' };
const log = (m) => console.log(`[campaign] ${m}`);

const dbName = `eff_bench_campaign_${randomBytes(4).toString('hex')}`;
const dbUrl = Object.assign(new URL(adminUrl), { pathname: `/${dbName}` }).href;

async function adminQuery(sql) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** The BulkSMS stand-in: accepts every message (checking the credentials), counts them and their recipients. */
async function startGateway() {
  const expected = `Basic ${Buffer.from(`${TOKEN.id}:${TOKEN.secret}`).toString('base64')}`;
  const recipients = new Set();
  let accepted = 0;
  let nextId = 1;
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      if (
        req.method !== 'POST' ||
        req.url !== '/messages' ||
        req.headers.authorization !== expected
      ) {
        res.writeHead(401).end();
        return;
      }
      const body = JSON.parse(text);
      accepted += 1;
      recipients.add(body.to);
      const id = String((nextId += 1));
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify([{ id, type: 'SENT', status: { type: 'ACCEPTED' } }]));
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    stats: () => ({ accepted, recipients: recipients.size }),
    close: () => new Promise((r) => server.close(r)),
  };
}

async function api(baseUrl, method, route, token, body) {
  const res = await globalThis.fetch(`${baseUrl}/api/v1${route}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = res.status === 204 ? null : await res.json();
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function main() {
  await adminQuery(`CREATE DATABASE "${dbName}"`);
  const pool = new pg.Pool({ connectionString: dbUrl, max: 2 });
  const redis = await startRedis();
  const gateway = await startGateway();
  let apiProcess = null;
  const results = {
    members: MEMBERS,
    targets: TARGETS,
    meRate: ME_RATE,
    cpus: os.cpus().length,
    loadAverageAtStart: os.loadavg()[0],
  };
  try {
    log(`migrating ${dbName}`);
    const migrated = spawnSync(process.execPath, [cli, 'migrate'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DATABASE_URL: dbUrl, NODE_ENV: 'development' },
    });
    if (migrated.status !== 0) throw new Error('migrate failed');
    const { rows } = await pool.query(
      `SELECT municipality_code FROM wards WHERE province_code = 'GP' GROUP BY municipality_code
        ORDER BY count(*) DESC LIMIT 1`,
    );
    const municipality = rows[0].municipality_code;
    log(`inserting ${MEMBERS} active members with cells in ${municipality}`);
    await pool.query(
      `WITH w AS (SELECT code, municipality_code, district_code, province_code,
                         row_number() OVER (ORDER BY code) - 1 AS k, count(*) OVER () AS n
                    FROM wards WHERE municipality_code = $2)
       INSERT INTO members (id_number, first_names, surname, date_of_birth, gender, citizenship, cell_number,
                            email, ward_code, municipality_code, district_code, province_code, status, joined_on,
                            last_paid_on, expires_on, version)
       SELECT '8' || lpad(i::text, 12, '0'), 'Bench' || i || ' Member', 'Load', '1990-01-01', 'female', 'citizen',
              '+2782' || lpad(i::text, 7, '0'), NULL, w.code, w.municipality_code, w.district_code,
              w.province_code, 'active', '2025-01-01', '2025-01-01', '2027-01-01', 1
         FROM generate_series(1, $1) AS i JOIN w ON w.k = i % w.n`,
      [MEMBERS, municipality],
    );
    await pool.query('ANALYZE members');

    const env = {
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      SMS_PROVIDER: 'bulksms',
      BULKSMS_API_URL: gateway.url,
      BULKSMS_TOKEN_ID: TOKEN.id,
      BULKSMS_TOKEN_SECRET: TOKEN.secret,
      MESSAGING_REMINDERS_CRON: 'off',
      STATUS_RECALC_CRON: 'off',
      LOG_LEVEL: 'warn',
    };
    const jwtSecret = randomBytes(32).toString('hex');
    const start = async (dispatchMs) => {
      Object.assign(process.env, env, {
        MESSAGING_DISPATCH: dispatchMs === 0 ? 'off' : 'on',
        MESSAGING_DISPATCH_INTERVAL_MS: String(dispatchMs),
      });
      return startBenchApi({ databaseUrl: dbUrl, redisUrl: redis.url, jwtSecret });
    };
    const stopApi = async () => {
      const exited = new Promise((r) => apiProcess.once('exit', r));
      apiProcess.kill('SIGTERM');
      await exited;
    };
    let started = await start(0);
    apiProcess = started.child;
    let accessToken = (await api(started.baseUrl, 'POST', '/auth/login', null, ADMIN)).accessToken;
    log(`GET /auth/me idle: ${ME_RATE} req/s, ${IDLE_WINDOWS} windows of 5 s`);
    const apiCpuIdleBefore = cpuMsOf(apiProcess.pid);
    const idleStarted = performance.now();
    const idle = [];
    for (let i = 0; i < IDLE_WINDOWS; i += 1)
      idle.push(
        await steadyRunIsolated(
          `${started.baseUrl}/api/v1/auth/me`,
          accessToken,
          ME_RATE,
          5,
          i === 0 ? 2 : 0,
        ),
      );
    // Measured as the delivery is (the median of 5 s windows), so one disturbed window moves neither.
    results.meIdle = {
      windows: idle,
      p50Ms: median(idle.map((w) => w.p50Ms)),
      p99Ms: median(idle.map((w) => w.p99Ms)),
    };
    results.apiCpuMsPerSecondIdle = Math.round(
      (cpuMsOf(apiProcess.pid) - apiCpuIdleBefore) / ((performance.now() - idleStarted) / 1000),
    );
    log(
      `idle p50 ${results.meIdle.p50Ms} ms, p99 ${results.meIdle.p99Ms} ms (median of ${IDLE_WINDOWS} windows: ${idle.map((w) => w.p99Ms).join(', ')}); API CPU ${results.apiCpuMsPerSecondIdle} ms/s`,
    );

    const template = await api(started.baseUrl, 'POST', '/messaging/templates', accessToken, {
      name: 'Bench',
      channel: 'sms',
      body: 'Hi {{firstName}}, your membership {{membershipNumber}} runs to {{expiryDate}}.',
    });
    const request = {
      templateId: template.id,
      audience: { area: { level: 'municipality', code: municipality }, statuses: ['active'] },
    };
    const t0 = performance.now();
    const dry = await api(
      started.baseUrl,
      'POST',
      '/messaging/campaigns/dry-run',
      accessToken,
      request,
    );
    results.dryRunMs = Math.round(performance.now() - t0);
    log(`dry run ${dry.count} members in ${results.dryRunMs} ms`);
    results.modes = {};

    for (const mode of MODES) {
      const out = {};
      results.modes[mode] = out;
      const acceptedBefore = gateway.stats().accepted;
      const draft = await api(
        started.baseUrl,
        'POST',
        '/messaging/campaigns',
        accessToken,
        request,
      );
      const t1 = performance.now();
      const sent = await api(
        started.baseUrl,
        'POST',
        `/messaging/campaigns/${draft.id}/send`,
        accessToken,
      );
      out.queueSeconds = Math.round(performance.now() - t1) / 1000;
      out.queued = sent.queuedCount;
      results.queueSeconds ??= out.queueSeconds;
      results.queued ??= out.queued;
      log(`[${mode}] queued ${sent.queuedCount} messages in ${out.queueSeconds} s`);

      let worker = null;
      if (mode === 'api') {
        await stopApi();
        started = await start(100);
        apiProcess = started.child;
        accessToken = (await api(started.baseUrl, 'POST', '/auth/login', null, ADMIN)).accessToken;
      } else {
        worker = spawn(process.execPath, [cli, 'dispatch', '--interval-ms', '100'], {
          cwd: root,
          stdio: ['ignore', 'pipe', 'inherit'],
          env: {
            ...process.env,
            ...env,
            NODE_ENV: 'production',
            DATABASE_URL: dbUrl,
            DATABASE_POOL_SIZE: '5',
            REDIS_URL: redis.url,
            JWT_SECRET: jwtSecret,
            MESSAGING_SMS_PER_SECOND: mode === 'worker-paced' ? String(SMS_PER_SECOND) : '0',
          },
        });
        // The clock starts once the worker runs (as it does once the API answers in the `api` mode).
        await new Promise((resolve, reject) => {
          let text = '';
          worker.stdout.on('data', (c) => {
            text += c;
            if (text.includes('dispatch: delivering')) resolve();
          });
          worker.once('exit', (code) => reject(new Error(`dispatch worker exited with ${code}`)));
        });
      }
      const t2 = performance.now();
      const cpuAt = () => ({
        api: cpuMsOf(apiProcess.pid),
        worker: worker ? cpuMsOf(worker.pid) : 0,
        postgres: cpuMsNamed('postgres'),
        redis: cpuMsNamed('redis-server'),
        gatewayAndLoad: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
      });
      const cpuBefore = cpuAt();
      let done = false;
      const during = [];
      const load = (async () => {
        while (!done) {
          during.push(
            await steadyRunIsolated(
              `${started.baseUrl}/api/v1/auth/me`,
              accessToken,
              ME_RATE,
              5,
              0,
            ),
          );
        }
      })();
      let lastLog = 0;
      for (;;) {
        const { rows: left } = await pool.query(
          "SELECT count(*)::int AS n FROM messaging_outbox WHERE campaign_id = $1 AND status IN ('queued', 'sending')",
          [draft.id],
        );
        if (left[0].n === 0) break;
        if (performance.now() - lastLog > 5000) {
          lastLog = performance.now();
          log(
            `[${mode}] ${left[0].n} left, gateway has ${gateway.stats().accepted - acceptedBefore}`,
          );
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      const deliverySeconds = (performance.now() - t2) / 1000;
      const cpuAfter = cpuAt();
      out.cpuMsPerMessage = Object.fromEntries(
        Object.keys(cpuAfter).map((k) => [
          k,
          Number(((cpuAfter[k] - cpuBefore[k]) / MEMBERS).toFixed(3)),
        ]),
      );
      out.apiCpuMsPerSecondDuring = Math.round((cpuAfter.api - cpuBefore.api) / deliverySeconds);
      log(
        `[${mode}] CPU ms per message: ${JSON.stringify(out.cpuMsPerMessage)}; API CPU ${out.apiCpuMsPerSecondDuring} ms/s`,
      );
      done = true;
      await load;
      out.deliverySeconds = Math.round(deliverySeconds * 10) / 10;
      out.deliveredPerSecond = Math.round(MEMBERS / deliverySeconds);
      out.gatewayAccepted = gateway.stats().accepted - acceptedBefore;
      const p99s = during.map((d) => d.p99Ms).sort((a, b) => a - b);
      out.meDuringSend = {
        windows: during,
        worstP99Ms: p99s[p99s.length - 1],
        medianP99Ms: p99s[Math.floor(p99s.length / 2)],
        medianP50Ms: during.map((d) => d.p50Ms).sort((a, b) => a - b)[
          Math.floor(during.length / 2)
        ],
      };
      out.duringOverIdle =
        Math.round((out.meDuringSend.medianP99Ms / results.meIdle.p99Ms) * 100) / 100;
      const { rows: statuses } = await pool.query(
        'SELECT status, count(*)::int AS n FROM messaging_outbox WHERE campaign_id = $1 GROUP BY status',
        [draft.id],
      );
      out.outboxStatuses = Object.fromEntries(statuses.map((r) => [r.status, r.n]));
      out.loadAverageAtEnd = os.loadavg()[0];
      log(
        `[${mode}] delivered ${MEMBERS} in ${out.deliverySeconds} s = ${out.deliveredPerSecond} msg/s; ` +
          `/auth/me p99 ${results.meIdle.p99Ms} ms idle, median ${out.meDuringSend.medianP99Ms} / worst ` +
          `${out.meDuringSend.worstP99Ms} ms during the delivery (${out.duringOverIdle}× idle)`,
      );
      if (worker) {
        const exited = new Promise((r) => worker.once('exit', r));
        worker.kill('SIGTERM');
        out.workerExit = await exited;
      } else {
        await stopApi();
        started = await start(0);
        apiProcess = started.child;
        accessToken = (await api(started.baseUrl, 'POST', '/auth/login', null, ADMIN)).accessToken;
      }
    }
    results.gateway = gateway.stats();
    results.loadAverageAtEnd = os.loadavg()[0];
  } finally {
    apiProcess?.kill('SIGTERM');
    await pool.end();
    await gateway.close();
    redis.process?.kill('SIGTERM');
    await adminQuery(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  }
  results.ranAt = new Date().toISOString();
  writeFileSync(
    path.join(import.meta.dirname, 'results-campaign.json'),
    JSON.stringify(results, null, 2),
  );
  const ok = (v, pass) => `${v} ${pass ? '✓' : '✗'}`;
  const lines = [
    '| figure | value | target |',
    '| --- | ---: | ---: |',
    `| members in the audience | ${MEMBERS} | |`,
    `| dry run (count + sample) | ${results.dryRunMs} ms | |`,
    `| send: queue every message (one INSERT … SELECT) | ${ok(`${results.queueSeconds} s`, results.queueSeconds < TARGETS.queueSeconds)} | < ${TARGETS.queueSeconds} s |`,
    `| GET /auth/me p50 / p99 idle (${ME_RATE} req/s) | ${results.meIdle.p50Ms} / ${results.meIdle.p99Ms} ms | |`,
  ];
  const label = {
    api: 'API process delivers (before)',
    worker: 'separate `cli.js dispatch` worker (nice 10)',
    'worker-paced': `the worker at MESSAGING_SMS_PER_SECOND=${SMS_PER_SECOND} (nice 10)`,
  };
  for (const [mode, out] of Object.entries(results.modes)) {
    lines.push(
      `| **${label[mode] ?? mode}**: delivery to the BulkSMS stand-in | ${ok(`${out.deliveredPerSecond} msg/s`, out.deliveredPerSecond >= TARGETS.deliveredPerSecond)} (${out.deliverySeconds} s, ${out.gatewayAccepted} accepted) | ≥ ${TARGETS.deliveredPerSecond} msg/s |`,
      `| ${label[mode] ?? mode}: GET /auth/me p99 idle → during delivery (median of 5 s windows; worst) | ${results.meIdle.p99Ms} → ${ok(`${out.meDuringSend.medianP99Ms} ms (${out.duringOverIdle}×)`, out.duringOverIdle <= TARGETS.duringOverIdle)} (worst ${out.meDuringSend.worstP99Ms} ms; p50 ${out.meDuringSend.medianP50Ms} ms) | ≤ ${TARGETS.duringOverIdle}× idle |`,
    );
  }
  lines.push(
    `| load average start / end (${results.cpus} CPUs, shared) | ${results.loadAverageAtStart.toFixed(1)} / ${results.loadAverageAtEnd.toFixed(1)} | |`,
  );
  writeFileSync(path.join(import.meta.dirname, 'results-campaign.md'), lines.join('\n') + '\n');
  log('wrote bench/results-campaign.json and bench/results-campaign.md');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
