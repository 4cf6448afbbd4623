// `npm run bench`: runs every bench/<name>.mjs (each writes bench/results-<name>.json), then merges them into
// bench/results.json and bench/results.md. Pass names to run only some: `npm run bench -- members sockets`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const dir = import.meta.dirname;
const only = process.argv.slice(2);
const names = readdirSync(dir)
  .filter((f) => f.endsWith('.mjs') && f !== 'run.mjs' && !f.startsWith('_'))
  .map((f) => path.basename(f, '.mjs'))
  .filter((name) => only.length === 0 || only.includes(name));

let failed = false;
for (const name of names) {
  console.log(`\n=== bench: ${name} ===`);
  const result = spawnSync(process.execPath, [path.join(dir, `${name}.mjs`)], { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`bench ${name} failed (exit ${result.status})`);
    failed = true;
  }
}

const merged = {};
const tables = [];
for (const name of names) {
  const file = path.join(dir, `results-${name}.json`);
  if (!existsSync(file)) continue;
  merged[name] = JSON.parse(readFileSync(file, 'utf8'));
  const md = path.join(dir, `results-${name}.md`);
  if (existsSync(md)) tables.push(`## ${name}\n\n${readFileSync(md, 'utf8')}`);
}
writeFileSync(
  path.join(dir, 'results.json'),
  JSON.stringify({ ranAt: new Date().toISOString(), results: merged }, null, 2),
);
writeFileSync(path.join(dir, 'results.md'), `# Benchmark results\n\n${tables.join('\n\n')}\n`);
console.log(`\nWrote bench/results.json and bench/results.md`);
process.exit(failed ? 1 : 0);
