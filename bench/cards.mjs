// Card verification throughput: GET /api/v1/cards/verify against GET /api/v1/auth/me on the same API, same run.
// Target: verify ≥ 1.0× the throughput of /auth/me (the cheapest authenticated route).
//
//   npm run bench -- cards             (builds first; or `node bench/cards.mjs` after `npm run build`)
//
//   BENCH_CARDS_DATABASE_URL  database (default postgres://postgres@127.0.0.1:5432/eff_bench_cards, created if
//                             missing); migrated with `cli.js migrate`, topped up to BENCH_CARDS_MEMBERS (100,000)
//                             with `cli.js seed-members --keep-indexes`
//   BENCH_CARDS               cards issued and verified in rotation (default 100)
//   BENCH_CONNECTIONS         concurrent connections (default 32), BENCH_DURATION seconds per turn (default 10),
//                             BENCH_ROUNDS (default 3): verify and /auth/me take turns, the median is reported
//   REDIS_URL                 Redis for the API (default redis://127.0.0.1:6379)
//   BENCH_CARDS_PROFILE_DIR   when set, the API runs with --cpu-prof into that folder (read with bench/_layers.mjs)
// The API runs as in production (NODE_ENV=production, production's node flags, pool 20, logging on) with a card key
// generated into a temporary CARD_KEYS_DIR and the throttles out of the way. The tokens come from the API's own
// card PDFs (QR codes decoded, as a scanner reads them). Writes bench/results-cards.json and bench/results-cards.md.
import { Buffer } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import jsQRModule from 'jsqr';
import { PDFParse } from 'pdf-parse';
import pg from 'pg';
import { PNG } from 'pngjs';
import { signIn, startBenchApi } from './_api.mjs';
import { API_NODE_ARGS } from './_production.mjs';
import { cpuMsNamed, cpuMsOf } from './_proc.mjs';

const jsQR = jsQRModule.default ?? jsQRModule;
const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'dist/apps/api/src/cli.js');
const databaseUrl =
  process.env.BENCH_CARDS_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/eff_bench_cards';
const wantedMembers = Number(process.env.BENCH_CARDS_MEMBERS ?? 100_000);
const cardCount = Number(process.env.BENCH_CARDS ?? 100);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const duration = Number(process.env.BENCH_DURATION ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ADMIN = { email: 'bench-cards@eff.local', password: 'Lantern-Okapi-4482-Cards!' };
const log = (m) => console.log(`[cards] ${m}`);

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

async function ensureDatabase() {
  const name = new URL(databaseUrl).pathname.slice(1);
  const admin = new pg.Client({
    connectionString: Object.assign(new URL(databaseUrl), { pathname: '/postgres' }).href,
  });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
}

/** The QR codes of a PDF, decoded from its images (as test/harness/pdf.ts does). */
async function qrCodesOf(buffer) {
  const parser = new PDFParse({ data: new Uint8Array(buffer) });
  try {
    const images = await parser.getImage({ imageThreshold: 0 });
    return images.pages.flatMap((p) =>
      p.images.flatMap((image) => {
        const png = PNG.sync.read(Buffer.from(image.data));
        const code = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
        return code ? [code.data] : [];
      }),
    );
  } finally {
    await parser.destroy();
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  await ensureDatabase();
  log(`database ${new URL(databaseUrl).pathname.slice(1)}: migrate`);
  runCli(['migrate']);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  const { rows } = await pool.query('SELECT count(*)::int AS n FROM members');
  if (rows[0].n < wantedMembers) {
    log(`seeding ${wantedMembers - rows[0].n} members`);
    runCli(['seed-members', '--count', String(wantedMembers - rows[0].n), '--keep-indexes']);
  }
  const members = (await pool.query('SELECT count(*)::int AS n FROM members')).rows[0].n;
  const holders = (
    await pool.query(
      `SELECT id FROM members WHERE status IN ('active', 'grace_period') AND anonymised_at IS NULL
        ORDER BY md5(id::text) LIMIT $1`,
      [cardCount],
    )
  ).rows.map((r) => r.id);
  await pool.end();
  const created = runCli(
    ['create-admin', '--email', ADMIN.email, '--password', ADMIN.password],
    true,
  );
  if (created.status !== 0 && !/exists/i.test(created.stderr + created.stdout))
    throw new Error(`create-admin failed: ${created.stderr || created.stdout}`);

  const keysDir = mkdtempSync(path.join(os.tmpdir(), 'eff-bench-card-keys-'));
  writeFileSync(
    path.join(keysDir, 'bench.pem'),
    generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }),
    { mode: 0o600 },
  );
  process.env.CARD_KEYS_DIR = keysDir;
  process.env.CARD_VERIFY_THROTTLE_LIMIT = '100000000';
  const { child, baseUrl } = await startBenchApi({
    databaseUrl,
    redisUrl,
    nodeArgs: [
      ...(process.env.BENCH_CARDS_PROFILE_DIR
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CARDS_PROFILE_DIR}`]
        : []),
      ...API_NODE_ARGS,
    ],
  });
  const apiCpuMs = () => cpuMsOf(child.pid);
  try {
    const token = await signIn(baseUrl, ADMIN);
    log(`issuing ${holders.length} cards through GET /members/{id}/card`);
    const cards = [];
    for (const id of holders) {
      const res = await globalThis.fetch(`${baseUrl}/api/v1/members/${id}/card`, {
        headers: { authorization: `Bearer ${token}` },
      });
      if (res.status !== 200) throw new Error(`card of ${id}: ${res.status} ${await res.text()}`);
      cards.push(...(await qrCodesOf(Buffer.from(await res.arrayBuffer()))));
    }
    if (cards.length !== holders.length) throw new Error('a card PDF had no readable QR code');
    const check = await (
      await globalThis.fetch(`${baseUrl}/api/v1/cards/verify?token=${encodeURIComponent(cards[0])}`)
    ).json();
    if (check.result !== 'valid')
      throw new Error(`the first card verifies ${JSON.stringify(check)}`);

    let next = 0;
    const scenarios = {
      verify: {
        url: `${baseUrl}/api/v1/cards/verify`,
        setupRequest: (req) => ({
          ...req,
          path: `/api/v1/cards/verify?token=${encodeURIComponent(cards[next++ % cards.length])}`,
        }),
      },
      authMe: {
        url: `${baseUrl}/api/v1/auth/me`,
        headers: { authorization: `Bearer ${token}` },
      },
    };
    const run = async (name, seconds) => {
      const s = scenarios[name];
      const cpuBefore = apiCpuMs();
      const postgresBefore = cpuMsNamed('postgres');
      const redisBefore = cpuMsNamed('redis-server');
      const r = await autocannon({
        url: s.url,
        connections,
        duration: seconds,
        headers: s.headers,
        requests: s.setupRequest ? [{ setupRequest: s.setupRequest }] : undefined,
      });
      return {
        requestsPerSecond: Math.round(r.requests.average),
        p50Ms: r.latency.p50,
        p99Ms: r.latency.p99,
        non2xx: r.non2xx,
        errors: r.errors,
        apiCpuMsPerRequest: Number(((apiCpuMs() - cpuBefore) / r.requests.total).toFixed(3)),
        postgresCpuMsPerRequest: Number(
          ((cpuMsNamed('postgres') - postgresBefore) / r.requests.total).toFixed(3),
        ),
        redisCpuMsPerRequest: Number(
          ((cpuMsNamed('redis-server') - redisBefore) / r.requests.total).toFixed(3),
        ),
      };
    };
    const cpuLine = (r) =>
      `p99 ${r.p99Ms} ms; CPU ms/req API ${r.apiCpuMsPerRequest}, PostgreSQL ${r.postgresCpuMsPerRequest}, Redis ${r.redisCpuMsPerRequest}`;
    log('warm-up');
    await run('verify', 3);
    await run('authMe', 3);
    const perRound = [];
    for (let i = 0; i < rounds; i += 1) {
      const round = {
        verify: await run('verify', duration),
        authMe: await run('authMe', duration),
      };
      log(
        `round ${i + 1}: verify ${round.verify.requestsPerSecond} req/s ${cpuLine(round.verify)}), /auth/me ${round.authMe.requestsPerSecond} req/s (${cpuLine(round.authMe)})`,
      );
      perRound.push(round);
    }
    const summary = (name) => ({
      requestsPerSecond: median(perRound.map((r) => r[name].requestsPerSecond)),
      p50Ms: median(perRound.map((r) => r[name].p50Ms)),
      p99Ms: median(perRound.map((r) => r[name].p99Ms)),
      non2xx: perRound.reduce((sum, r) => sum + r[name].non2xx, 0),
      apiCpuMsPerRequest: median(perRound.map((r) => r[name].apiCpuMsPerRequest)),
      postgresCpuMsPerRequest: median(perRound.map((r) => r[name].postgresCpuMsPerRequest)),
      redisCpuMsPerRequest: median(perRound.map((r) => r[name].redisCpuMsPerRequest)),
    });
    const verify = summary('verify');
    const authMe = summary('authMe');
    const ratio = Number((verify.requestsPerSecond / authMe.requestsPerSecond).toFixed(2));
    const result = {
      members,
      cards: cards.length,
      connections,
      durationSeconds: duration,
      rounds: perRound,
      verify,
      authMe,
      ratio,
      target: 1.0,
      meetsTarget: ratio >= 1.0,
      cpus: os.cpus().length,
      loadAverage: os.loadavg().map((x) => Number(x.toFixed(2))),
    };
    log(`verify / auth/me = ${ratio} (target ≥ 1.0), load ${result.loadAverage.join(' ')}`);
    writeFileSync(
      path.join(import.meta.dirname, 'results-cards.json'),
      JSON.stringify(result, null, 2),
    );
    writeFileSync(
      path.join(import.meta.dirname, 'results-cards.md'),
      `| route | req/s (median of ${rounds}) | p50 ms | p99 ms | non-2xx | CPU ms/req: API, PostgreSQL, Redis |\n|---|---|---|---|---|---|\n` +
        `| GET /cards/verify (${cards.length} cards in rotation) | ${verify.requestsPerSecond} | ${verify.p50Ms} | ${verify.p99Ms} | ${verify.non2xx} | ${verify.apiCpuMsPerRequest}, ${verify.postgresCpuMsPerRequest}, ${verify.redisCpuMsPerRequest} |\n` +
        `| GET /auth/me | ${authMe.requestsPerSecond} | ${authMe.p50Ms} | ${authMe.p99Ms} | ${authMe.non2xx} | ${authMe.apiCpuMsPerRequest}, ${authMe.postgresCpuMsPerRequest}, ${authMe.redisCpuMsPerRequest} |\n\n` +
        `verify / auth/me = **${ratio}** (target ≥ 1.0, ${result.meetsTarget ? 'met' : 'not met'}); ${members} members, ${connections} connections, ${result.cpus} CPUs, load average ${result.loadAverage.join(' ')} at the end.\n`,
    );
  } finally {
    child.kill('SIGTERM');
    rmSync(keysDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
