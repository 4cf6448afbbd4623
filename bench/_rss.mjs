// Memory aid (not part of `npm run bench`): where the API's resident memory goes. Starts the compiled API against
// the members bench database (run `npm run bench -- members` once first: it seeds and creates the bench admin)
// with production's node flags (or NODE_ARGS), and prints the resident memory by mapping (node binary, V8's heap
// spaces, malloc, other files) and V8's own spaces after start, and again after `seconds` of get-by-id load at 64
// connections (or of the path given: `:id` is a GP member's id). Run it with the node whose memory is in question: `/path/to/node bench/_rss.mjs [seconds] [path]`.
import { openSync, readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import pg from 'pg';
import { startRedis, freePort } from '../test/harness/services.mjs';
import { signIn, startBenchApi } from './_api.mjs';
import { API_NODE_ARGS } from './_production.mjs';
import { cpuMsOf } from './_proc.mjs';

const databaseUrl =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/eff_bench';
const seconds = Number(process.argv[2] ?? 15);
const target = process.argv[3] ?? '/api/v1/members/:id';

/** Resident kB by kind of mapping, from /proc/<pid>/smaps. */
function residentByMapping(pid) {
  const totals = new Map();
  let kind = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const mapping = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (mapping) {
      const name = mapping[1];
      kind =
        name === ''
          ? 'anonymous (V8 heap, code, stacks)'
          : name === '[heap]'
            ? 'malloc [heap]'
            : name.endsWith('/node') || name.endsWith('/bin/node')
              ? 'node binary'
              : name.endsWith('.node')
                ? 'native addons'
                : name.startsWith('[')
                  ? name
                  : 'other files';
    } else if (line.startsWith('Rss:')) {
      totals.set(kind, (totals.get(kind) ?? 0) + Number(line.split(/\s+/)[1]));
    }
  }
  return Object.fromEntries(
    [...totals].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Math.round(v / 102.4) / 10]),
  );
}

async function v8Spaces(metricsUrl) {
  const text = await (await globalThis.fetch(metricsUrl)).text();
  const pick = (re) =>
    Object.fromEntries(
      [...text.matchAll(re)].map((m) => [m[1], Math.round(Number(m[2]) / 104857.6) / 10]),
    );
  return {
    spaceSizeMb: pick(/^nodejs_heap_space_size_total_bytes\{space="([^"]+)"\} (\S+)/gm),
    externalMb: Number(/^nodejs_external_memory_bytes (\S+)/m.exec(text)?.[1] ?? 0) / 1048576,
  };
}

function report(label, pid, spaces, load = {}) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)[1]);
  console.log(
    JSON.stringify(
      {
        label,
        node: process.version,
        rssMb: Math.round(kb('VmRSS') / 102.4) / 10,
        hwmMb: Math.round(kb('VmHWM') / 102.4) / 10,
        byMapping: residentByMapping(pid),
        ...spaces,
        ...load,
      },
      null,
      1,
    ),
  );
}

const db = new pg.Client({ connectionString: databaseUrl });
await db.connect();
const ids = (
  await db.query(
    `SELECT id FROM members TABLESAMPLE SYSTEM (1) WHERE province_code = 'GP' LIMIT 2000`,
  )
).rows.map((r) => r.id);
await db.end();

const redis = await startRedis();
const metricsPort = await freePort();
process.env.METRICS_PORT = String(metricsPort);
const api = await startBenchApi({
  databaseUrl,
  redisUrl: redis.url,
  stdout: process.env.STDOUT_FILE ? openSync(process.env.STDOUT_FILE, 'w') : 'ignore',
  nodeArgs:
    process.env.NODE_ARGS !== undefined
      ? process.env.NODE_ARGS.split(' ').filter(Boolean)
      : API_NODE_ARGS,
});
const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
const token = await signIn(api.baseUrl);
await new Promise((r) => setTimeout(r, 2000));
report('after start', api.child.pid, await v8Spaces(metricsUrl));
const cpuBefore = cpuMsOf(api.child.pid);
const result = await new Promise((resolve, reject) =>
  autocannon(
    {
      url: api.baseUrl,
      connections: 64,
      duration: seconds,
      headers: { authorization: `Bearer ${token}` },
      requests: [
        {
          method: 'GET',
          setupRequest: (req) => ({
            ...req,
            path: target.replace(':id', ids[Math.floor(Math.random() * ids.length)]),
          }),
        },
      ],
    },
    (err, res) => (err ? reject(err) : resolve(res)),
  ),
);
report(`after ${seconds} s of ${target}`, api.child.pid, await v8Spaces(metricsUrl), {
  reqPerSec: result.requests.average,
  cpuMsPerReq:
    Math.round(((cpuMsOf(api.child.pid) - cpuBefore) / result.requests.total) * 1000) / 1000,
});
api.child.kill('SIGTERM');
await new Promise((r) => api.child.once('exit', r));
redis.process?.kill('SIGTERM');
