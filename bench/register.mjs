// Register export and import (cli.js export-register / import-register) of a 1.2 M-member database.
//
//   npm run bench -- register          (builds first; or `node bench/register.mjs` after `npm run build`)
//
// 1. export-register --include-id-numbers from BENCH_REGISTER_SOURCE (default the bench_peer database with
//    1.2 M members; only read, in one REPEATABLE READ READ ONLY transaction) into a temporary archive.
// 2. A new scratch database next to it: `migrate`, then import-register of the archive (load, manifest check,
//    statistics refresh, one transaction); the scratch database and the archive are removed at the end.
// Each step's wall time and the CLI process's peak RSS (GNU time's %M) are reported, with the archive's size.
// Writes bench/results-register.json and bench/results-register.md.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'dist/apps/api/src/cli.js');
const sourceUrl =
  process.env.BENCH_REGISTER_SOURCE ?? 'postgres://postgres@127.0.0.1:5432/bench_peer';
const scratchName = `eff_bench_register_${randomBytes(4).toString('hex')}`;
const scratchUrl = Object.assign(new URL(sourceUrl), { pathname: `/${scratchName}` }).href;
const adminUrl = Object.assign(new URL(sourceUrl), { pathname: '/postgres' }).href;
const dir = mkdtempSync(path.join(os.tmpdir(), 'eff-bench-register-'));
const archive = path.join(dir, 'register.eff');
// A throwaway key for this run's throwaway archive.
const key = randomBytes(32).toString('base64');
const log = (m) => console.log(`[register] ${m}`);

/** Runs a cli.js command under GNU time; returns wall seconds and peak RSS in MB. */
function timed(args, databaseUrl) {
  const result = spawnSync('/usr/bin/time', ['-f', 'TIME %e %M', process.execPath, cli, ...args], {
    env: { ...process.env, DATABASE_URL: databaseUrl, REGISTER_EXPORT_KEY: key },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const [, seconds, kb] = /TIME ([\d.]+) (\d+)/.exec(result.stderr) ?? [];
  if (result.status !== 0 || !seconds) {
    throw new Error(
      `cli.js ${args[0]} failed (${result.status}):\n${result.stdout}\n${result.stderr}`,
    );
  }
  return {
    seconds: Number(seconds),
    peakRssMb: Math.round(Number(kb) / 1024),
    stdout: result.stdout,
  };
}

async function admin(sql) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const LATEST_MIGRATION = 'SELECT name FROM typeorm_migrations ORDER BY timestamp DESC LIMIT 1';
async function latestMigration(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(LATEST_MIGRATION)).rows[0].name;
  } finally {
    await client.end();
  }
}

const source = new pg.Client({ connectionString: sourceUrl });
await source.connect();
const { rows } = await source.query('SELECT count(*)::int AS n FROM members');
await source.end();
const members = rows[0].n;
const sourceMigration = await latestMigration(sourceUrl);
log(`source ${new URL(sourceUrl).pathname.slice(1)}: ${members} members`);

let results;
try {
  const exported = timed(['export-register', '--out', archive, '--include-id-numbers'], sourceUrl);
  const bytes = statSync(archive).size;
  log(
    `export: ${exported.seconds} s, ${(bytes / 1e6).toFixed(1)} MB, peak RSS ${exported.peakRssMb} MB`,
  );
  await admin(`CREATE DATABASE "${scratchName}"`);
  const migrated = timed(['migrate'], scratchUrl);
  log(`migrate (scratch): ${migrated.seconds} s`);
  // The import needs the source's migration: revert the scratch database's newer ones when the source is behind.
  for (let i = 0; i < 20 && (await latestMigration(scratchUrl)) !== sourceMigration; i++) {
    timed(['revert'], scratchUrl);
  }
  log(`scratch at ${await latestMigration(scratchUrl)} (source ${sourceMigration})`);
  const imported = timed(['import-register', '--in', archive], scratchUrl);
  log(`import: ${imported.seconds} s, peak RSS ${imported.peakRssMb} MB`);
  const manifestLine = (out) =>
    out
      .split('\n')
      .filter((l) => l.startsWith('  '))
      .join('\n');
  if (manifestLine(exported.stdout) !== manifestLine(imported.stdout)) {
    throw new Error('the import reported a different manifest than the export');
  }
  results = {
    members,
    archiveBytes: bytes,
    bytesPerMember: Math.round(bytes / members),
    export: { seconds: exported.seconds, peakRssMb: exported.peakRssMb },
    import: { seconds: imported.seconds, peakRssMb: imported.peakRssMb },
    manifest: manifestLine(exported.stdout),
    cpus: os.cpus().length,
  };
} finally {
  await admin(`DROP DATABASE IF EXISTS "${scratchName}" WITH (FORCE)`);
  rmSync(dir, { recursive: true, force: true });
}

writeFileSync(
  path.join(import.meta.dirname, 'results-register.json'),
  JSON.stringify(results, null, 2),
);
writeFileSync(
  path.join(import.meta.dirname, 'results-register.md'),
  `| step | time | peak RSS | size |\n|---|---|---|---|\n` +
    `| export-register (${results.members} members) | ${results.export.seconds} s | ${results.export.peakRssMb} MB | ${(results.archiveBytes / 1e6).toFixed(1)} MB (${results.bytesPerMember} B/member) |\n` +
    `| import-register (load, verify, refresh statistics) | ${results.import.seconds} s | ${results.import.peakRssMb} MB | |\n`,
);
log(`wrote bench/results-register.json and .md\n${results.manifest}`);
