// A ward's compliance (GET /api/v1/wards/{code}/audit) at 1.2 M members: target p99 ≤ 50 ms.
//
//   npm run bench -- ward-audit        (builds first; or `node bench/ward-audit.mjs` after `npm run build`)
//
//   BENCH_DATABASE_URL   database (default postgres://postgres@127.0.0.1:5432/bench_peer); migrated with
//                        `cli.js migrate` and topped up to BENCH_MEMBERS (1,200,000) with `cli.js seed-members`
//   BENCH_WARDS          wards arranged and asked (default 200: the 100 largest and 100 others)
//   BENCH_CONNECTIONS    concurrent requests (default 8), BENCH_DURATION seconds (default 15)
//   REDIS_URL            Redis for the API (default redis://127.0.0.1:6379)
// Arranges, once per database (place 'bench-ward-audit'): for each asked ward a held BGA 30 days ago with half + 1
// of its Active members attending; every other one verified (frozen figures), the rest unverified, so half the
// answers take the expensive path: the ward's members and their status on the meeting date computed live from
// renewals, transfers and status history (MemberStandingService.membersOn). Then a super admin (created with
// `cli.js create-admin` if missing) asks the compiled API in a closed loop, then counts the SQL statements of one
// request (pg_stat_database.xact_commit over 40 sequential requests; approximate: the statistics are flushed about
// once a second) for a verified and a live ward. `VACUUM (ANALYZE) members` first, as autovacuum would after the
// bulk load (index-only scans). Writes bench/results-ward-audit.json and bench/results-ward-audit.md.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { signIn, startBenchApi } from './_api.mjs';

const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'dist/apps/api/src/cli.js');
const databaseUrl =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/bench_peer';
const wantedMembers = Number(process.env.BENCH_MEMBERS ?? 1_200_000);
const wardCount = Number(process.env.BENCH_WARDS ?? 200);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 8);
const duration = Number(process.env.BENCH_DURATION ?? 15);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ADMIN = { email: 'bench-ward-audit@eff.local', password: 'Quorum-Kestrel-7391-Verified!' };
const PLACE = 'bench-ward-audit';
const log = (m) => console.log(`[ward-audit] ${m}`);

function runCli(args, allowFailure = false) {
  const r = spawnSync(process.execPath, [cli, ...args], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0 && !allowFailure)
    throw new Error(`cli ${args[0]} failed: ${r.stderr || r.stdout}`);
  return r;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function arrange(pool) {
  const { rows: existing } = await pool.query(
    'SELECT ward_code FROM branch_meetings WHERE place = $1 ORDER BY ward_code',
    [PLACE],
  );
  if (existing.length >= wardCount) return existing.map((r) => r.ward_code);
  log(`arranging ${wardCount} wards`);
  const { rows: wards } = await pool.query(
    `(SELECT ward_code FROM members GROUP BY ward_code ORDER BY count(*) DESC LIMIT $1)
     UNION
     (SELECT code FROM wards ORDER BY md5(code) LIMIT $1)`,
    [Math.ceil(wardCount / 2)],
  );
  const codes = wards.map((w) => w.ward_code).slice(0, wardCount);
  for (const [i, ward] of codes.entries()) {
    const { rows } = await pool.query(
      `INSERT INTO branch_meetings (type, province_code, district_code, municipality_code, ward_code, scheduled_on,
                                    place, status, held_recorded_level, held_recorded_at)
       SELECT 'bga', province_code, district_code, municipality_code, code, current_date - 30, $2, 'held', 'ward', now()
         FROM wards WHERE code = $1 RETURNING id`,
      [ward, PLACE],
    );
    const id = rows[0].id;
    const { rows: attended } = await pool.query(
      `WITH active AS (SELECT id, membership_number FROM members WHERE ward_code = $1 AND status = 'active'),
            n AS (SELECT count(*) / 2 + 1 AS k FROM active)
       INSERT INTO branch_meeting_attendance (meeting_id, member_id, membership_number)
       SELECT $2, id, membership_number FROM active ORDER BY id LIMIT (SELECT k FROM n) RETURNING member_id`,
      [ward, id],
    );
    if (i % 2 === 0) {
      await pool.query(
        `UPDATE branch_meetings SET verified_at = now(), verified_figures = $2 WHERE id = $1`,
        [
          id,
          JSON.stringify({
            invited: attended.length * 2,
            inGoodStanding: attended.length * 2 - 2,
            quorum: attended.length,
            attendees: attended.length,
            attendeesInGoodStanding: attended.length,
            quorumMet: true,
          }),
        ],
      );
    }
  }
  await pool.query('ANALYZE branch_meetings; ANALYZE branch_meeting_attendance');
  return codes.sort();
}

async function main() {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  log(`database ${new URL(databaseUrl).pathname.slice(1)}: migrate`);
  runCli(['migrate']);
  const { rows } = await pool.query('SELECT count(*)::int AS n FROM members');
  if (rows[0].n < wantedMembers) {
    log(`seeding ${wantedMembers - rows[0].n} members`);
    runCli(['seed-members', '--count', String(wantedMembers - rows[0].n)]);
  }
  const members = (await pool.query('SELECT count(*)::int AS n FROM members')).rows[0].n;
  const wards = await arrange(pool);
  // What autovacuum does after a bulk load: the visibility map lets the ward's index-only scans skip the heap.
  await pool.query('VACUUM (ANALYZE) members');
  const created = runCli(
    ['create-admin', '--email', ADMIN.email, '--password', ADMIN.password],
    true,
  );
  if (created.status !== 0 && !/exists/i.test(created.stderr + created.stdout))
    throw new Error(`create-admin failed: ${created.stderr || created.stdout}`);
  await pool.end();

  const { child, baseUrl } = await startBenchApi({ databaseUrl, redisUrl });
  try {
    const token = await signIn(baseUrl, ADMIN);
    const ask = async (ward) => {
      const started = performance.now();
      const res = await globalThis.fetch(`${baseUrl}/api/v1/wards/${ward}/audit`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const body = await res.json();
      if (res.status !== 200) throw new Error(`${ward}: ${res.status} ${JSON.stringify(body)}`);
      return performance.now() - started;
    };
    log('warm-up');
    for (const ward of wards) await ask(ward);
    log(`${connections} connections for ${duration} s`);
    const latencies = [];
    let next = 0;
    const stopAt = performance.now() + duration * 1000;
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (performance.now() < stopAt) {
          const ward = wards[next++ % wards.length];
          latencies.push(await ask(ward));
        }
      }),
    );
    latencies.sort((a, b) => a - b);
    // Statements per request (pg_stat_database.xact_commit: each autocommit statement is one transaction),
    // sequentially, for a ward whose latest BGA is verified (frozen figures) and one whose figures are live.
    const statements = async (ward) => {
      const stat = new pg.Client({ connectionString: databaseUrl });
      await stat.connect();
      const commits = async () => {
        await new Promise((r) => setTimeout(r, 1200)); // the statistics are flushed about once a second
        const { rows } = await stat.query(
          'SELECT xact_commit::bigint AS n FROM pg_stat_database WHERE datname = current_database()',
        );
        return Number(rows[0].n);
      };
      const n = 40;
      const before = await commits();
      for (let i = 0; i < n; i += 1) await ask(ward);
      const after = await commits();
      await stat.end();
      return Number(((after - before - 2) / n).toFixed(1)); // less the two statistics reads
    };
    const probe = new pg.Client({ connectionString: databaseUrl });
    await probe.connect();
    const kinds = (
      await probe.query(
        `SELECT ward_code, verified_at IS NOT NULL AS verified FROM branch_meetings
          WHERE place = $1 ORDER BY ward_code`,
        [PLACE],
      )
    ).rows;
    await probe.end();
    const verifiedWard = kinds.find((k) => k.verified)?.ward_code;
    const liveWard = kinds.find((k) => !k.verified)?.ward_code;
    const statementsPerRequest = {
      verified: verifiedWard ? await statements(verifiedWard) : null,
      live: liveWard ? await statements(liveWard) : null,
    };
    const result = {
      statementsPerRequest,
      members,
      wards: wards.length,
      connections,
      durationSeconds: duration,
      requests: latencies.length,
      reqPerSecond: Math.round(latencies.length / duration),
      p50Ms: Number(percentile(latencies, 50).toFixed(1)),
      p99Ms: Number(percentile(latencies, 99).toFixed(1)),
      maxMs: Number(latencies[latencies.length - 1].toFixed(1)),
      targetP99Ms: 50,
      loadAverage: (await import('node:os')).loadavg().map((x) => Number(x.toFixed(2))),
    };
    result.meetsTarget = result.p99Ms <= 50;
    log(JSON.stringify(result));
    writeFileSync(
      path.join(import.meta.dirname, 'results-ward-audit.json'),
      JSON.stringify(result, null, 2),
    );
    writeFileSync(
      path.join(import.meta.dirname, 'results-ward-audit.md'),
      `# Ward audit\n\n| members | wards | conns | req/s | p50 ms | p99 ms | max ms | p99 ≤ 50 ms |\n|---|---|---|---|---|---|---|---|\n| ${members} | ${wards.length} | ${connections} | ${result.reqPerSecond} | ${result.p50Ms} | ${result.p99Ms} | ${result.maxMs} | ${result.meetsTarget ? 'yes' : 'no'} |\n\nLoad average ${result.loadAverage.join(' ')}.\n`,
    );
  } finally {
    child.kill('SIGTERM');
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
