// Bulk renewals import (#20): a BENCH_RENEWALS_ROWS-row renewals file (default 100,000) through
// POST /api/v1/payments/imports into a seeded database, each row a pending payment with its member history entry.
//
//   npm run bench -- renewals-import    (or `node bench/renewals-import.mjs` after `npm run build`)
//
// Seeds by SQL: BENCH_RENEWALS_ROWS members in the declared ward plus BENCH_RENEWALS_OTHER_MEMBERS (default
// 200,000) elsewhere, so member lookups run against a table of realistic size. Measures rows committed per second
// (upload start -> job completed) and the API's peak RSS (VmHWM), then the floor: a raw INSERT ... SELECT of the
// same payments by SQL (no parsing, checks, history or audit).
//
// Environment: BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres; a throwaway database is created
// next to it and dropped at the end), BENCH_RENEWALS_ROWS, BENCH_RENEWALS_OTHER_MEMBERS.
// Writes bench/results-renewals-import.json and bench/results-renewals-import.md.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { freePort } from '../test/harness/services.mjs';
import { API_ENV, API_NODE_ARGS } from './_production.mjs';

const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'dist/apps/api/src/cli.js');
const main = path.join(root, 'dist/apps/api/src/main.js');
const adminUrl = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ROWS = Number(process.env.BENCH_RENEWALS_ROWS ?? 100_000);
const OTHER = Number(process.env.BENCH_RENEWALS_OTHER_MEMBERS ?? 200_000);
const TARGET_ROWS_PER_SECOND = 10_000;
// A throwaway user in the throwaway bench database, never a real account.
const ADMIN = { email: 'bench-renewals@eff.local', password: 'Renewals-Chief-Admin-2026!' };
const { fetch, FormData, Blob } = globalThis;
const log = (m) => console.log(`[renewals-import] ${m}`);

const dbName = `eff_bench_renewals_${randomBytes(4).toString('hex')}`;
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

async function startApi(env) {
  const port = await freePort();
  const child = spawn(process.execPath, [...API_NODE_ARGS, main], {
    cwd: root,
    env: {
      ...process.env,
      ...API_ENV,
      NODE_ENV: 'development',
      DATABASE_URL: dbUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      JWT_SECRET: 'bench-secret-bench-secret-bench-secret-0123',
      THROTTLE_LIMIT: '100000000',
      STATS_REFRESH_INTERVAL_SECONDS: '0',
      STATUS_RECALC_CRON: 'off',
      REDIS_URL: '',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i += 1) {
    if (child.exitCode !== null) throw new Error('API exited during start');
    try {
      if ((await fetch(`${base}/api/v1/health`)).ok) break;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ADMIN),
  });
  const { accessToken } = await login.json();
  return {
    base,
    token: accessToken,
    pid: child.pid,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}

function peakRssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

async function main_() {
  await adminQuery(`CREATE DATABASE "${dbName}"`);
  const pool = new pg.Pool({ connectionString: dbUrl, max: 2 });
  const tmp = path.join(os.tmpdir(), `${dbName}.csv`);
  const results = {
    rows: ROWS,
    otherMembers: OTHER,
    target: TARGET_ROWS_PER_SECOND,
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

    const { rows: wards } = await pool.query(
      'SELECT code, municipality_code, district_code, province_code FROM wards ORDER BY code',
    );
    const ward = wards[0];
    log(`seeding ${ROWS} members in ward ${ward.code} and ${OTHER} elsewhere`);
    const seedStarted = performance.now();
    await pool.query(
      `INSERT INTO members (id_number, first_names, surname, date_of_birth, gender, citizenship, ward_code,
         municipality_code, district_code, province_code, status, joined_on, expires_on, version)
       SELECT lpad((8000000000000 + g)::text, 13, '0'), 'Name', 'Surname', date '1960-01-01' + (g % 15000),
         'female', 'citizen', $2, $3, $4, $5, 'active', date '2020-01-01', current_date + 30, 1
       FROM generate_series(1, $1::int) g`,
      [ROWS, ward.code, ward.municipality_code, ward.district_code, ward.province_code],
    );
    await pool.query(
      `CREATE TEMP TABLE bench_wards AS SELECT row_number() OVER (ORDER BY code) - 1 AS rn, * FROM wards;
       INSERT INTO members (id_number, first_names, surname, date_of_birth, gender, citizenship, ward_code,
         municipality_code, district_code, province_code, status, joined_on, expires_on, version)
       SELECT lpad((8500000000000 + g)::text, 13, '0'), 'Name', 'Surname', date '1960-01-01' + (g % 15000),
         'male', 'citizen', w.code, w.municipality_code, w.district_code, w.province_code, 'active',
         date '2020-01-01', current_date + 30, 1
       FROM generate_series(1, ${OTHER}) g
       JOIN bench_wards w ON w.rn = 1 + (g::bigint * 7919) % ((SELECT count(*) FROM bench_wards) - 1);
       DROP TABLE bench_wards;`,
    );
    await pool.query('VACUUM (ANALYZE) members');
    await pool.query('CHECKPOINT');
    results.seedSeconds = Number(((performance.now() - seedStarted) / 1000).toFixed(1));

    const paidOn = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10);
    const lines = ['ID Number,Amount,Paid On,Reference,Method'];
    for (let i = 1; i <= ROWS; i += 1) {
      const id = String(8_000_000_000_000 + i).padStart(13, '0');
      lines.push(
        `${id},${i % 3 === 0 ? '"R 20,00"' : '10.00'},${paidOn},BENCH-${i},${['cash', 'eft', 'external'][i % 3]}`,
      );
    }
    writeFileSync(tmp, lines.join('\n'));
    const fileBytes = statSync(tmp).size;

    const api = await startApi({
      IMPORT_MAX_ROWS: String(ROWS + 1),
      IMPORT_MAX_BYTES: String(200 * 1024 * 1024),
    });
    const rssBefore = peakRssMb(api.pid);
    log('importing through the API');
    const started = performance.now();
    const form = new FormData();
    form.append('wardCode', ward.code);
    form.append('file', new Blob([readFileSync(tmp)], { type: 'text/csv' }), 'renewals.csv');
    const upload = await fetch(`${api.base}/api/v1/payments/imports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.token}` },
      body: form,
    });
    const job = await upload.json();
    if (upload.status !== 202)
      throw new Error(`upload answered ${upload.status}: ${JSON.stringify(job)}`);
    let done = job;
    while (done.status !== 'completed' && done.status !== 'failed') {
      await new Promise((r) => setTimeout(r, 50));
      done = await (
        await fetch(`${api.base}/api/v1/payments/imports/${job.id}`, {
          headers: { authorization: `Bearer ${api.token}` },
        })
      ).json();
    }
    const seconds = (performance.now() - started) / 1000;
    const rssPeak = peakRssMb(api.pid);
    await api.stop();
    if (done.status !== 'completed' || done.insertedRows !== ROWS)
      throw new Error(`import ended ${done.status} with ${done.insertedRows} rows: ${done.error}`);
    const { rows: check } = await pool.query(
      `SELECT (SELECT count(*) FROM payments WHERE status = 'pending')::int AS payments,
              (SELECT count(*) FROM member_history WHERE kind = 'payment')::int AS history`,
    );
    results.api = {
      seconds: Number(seconds.toFixed(2)),
      rowsPerSecond: Math.round(ROWS / seconds),
      fileMb: Number((fileBytes / 1024 / 1024).toFixed(1)),
      peakRssMb: rssPeak,
      rssBeforeImportMb: rssBefore,
      pendingPayments: check[0].payments,
      historyEntries: check[0].history,
    };
    log(
      `API: ${results.api.rowsPerSecond} rows/s, peak RSS ${rssPeak} MB (${rssBefore} MB before)`,
    );

    // The floor: the same payments by one INSERT ... SELECT (no file, checks, history or audit).
    await pool.query('TRUNCATE payments CASCADE');
    const floorStarted = performance.now();
    await pool.query(
      `INSERT INTO payments (member_id, method, provider, reference, amount_cents, paid_on, status, ward_code,
         municipality_code, district_code, province_code)
       SELECT id, 'eft', 'eft', 'FLOOR-' || id_number, 1000, $1::date, 'pending', ward_code, municipality_code,
         district_code, province_code
       FROM members WHERE ward_code = $2`,
      [paidOn, ward.code],
    );
    const floorSeconds = (performance.now() - floorStarted) / 1000;
    results.floor = {
      seconds: Number(floorSeconds.toFixed(2)),
      rowsPerSecond: Math.round(ROWS / floorSeconds),
    };
    results.ratio = Number((results.api.rowsPerSecond / results.floor.rowsPerSecond).toFixed(2));
    log(
      `floor (INSERT ... SELECT): ${results.floor.rowsPerSecond} rows/s (API/floor ${results.ratio})`,
    );
  } finally {
    await pool.end();
    rmSync(tmp, { force: true });
    await adminQuery(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  }

  results.loadAverageAtEnd = os.loadavg()[0];
  writeFileSync(
    path.join(import.meta.dirname, 'results-renewals-import.json'),
    JSON.stringify(results, null, 2),
  );
  const met = results.api.rowsPerSecond >= TARGET_ROWS_PER_SECOND ? 'yes' : '**no**';
  const md = [
    `Renewals import of ${ROWS.toLocaleString('en')} CSV rows (${results.api.fileMb} MB) into a database of ${(ROWS + OTHER).toLocaleString('en')} members; ${results.cpus} CPUs, load average ${results.loadAverageAtStart.toFixed(1)} at the start and ${results.loadAverageAtEnd.toFixed(1)} at the end (other work shares the machine).`,
    '',
    '| measure | value | target | met |',
    '| --- | --- | --- | --- |',
    `| API import, rows/s (upload to job completed) | ${results.api.rowsPerSecond} (${results.api.seconds} s) | ≥ ${TARGET_ROWS_PER_SECOND} | ${met} |`,
    `| pending payments / history entries written | ${results.api.pendingPayments} / ${results.api.historyEntries} | ${ROWS} / ${ROWS} | |`,
    `| API peak RSS (VmHWM) | ${results.api.peakRssMb} MB (${results.api.rssBeforeImportMb} MB before) | | |`,
    `| floor: one INSERT ... SELECT of the same payments, rows/s | ${results.floor.rowsPerSecond} | | |`,
    `| API / floor | ${results.ratio} | | |`,
    '',
  ].join('\n');
  writeFileSync(path.join(import.meta.dirname, 'results-renewals-import.md'), md);
  console.log(md);
}

main_().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
