// Sums a V8 CPU profile (bench/_profile.mjs PROFILE=1) by layer: each sample's own function is put in the layer of
// its package (or our library), over the last `seconds` of the profile before the process shut down (the measured
// load, not the start). Prints each layer's share of the busy (non-idle) time.
//
//   node bench/_layers.mjs <file.cpuprofile> [seconds, default 10] [--packages]
import { readFileSync } from 'node:fs';

const [file, secondsArg, flag] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const seconds = Number(secondsArg ?? 10);
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));

const LAYERS = [
  [
    'session check and throttle (ioredis)',
    [
      'ioredis',
      'redis-parser',
      'denque',
      'cluster-key-slot',
      'redis-errors',
      'standard-as-callback',
    ],
  ],
  [
    'JWT (passport, jsonwebtoken, crypto)',
    [
      'passport',
      'passport-jwt',
      'passport-strategy',
      '@nestjs/passport',
      'jsonwebtoken',
      'jws',
      'jwa',
      'safe-buffer',
      'buffer-equal-constant-time',
      'ecdsa-sig-formatter',
      'lodash.includes',
      'lodash.isstring',
      'lodash.isplainobject',
      'lodash.once',
      'ms',
      'semver',
      'node:crypto',
    ],
  ],
  [
    'Nest pipeline (guards, pipes, interceptors, filters)',
    [
      '@nestjs/core',
      '@nestjs/common',
      '@nestjs/platform-express',
      '@nestjs/throttler',
      'rxjs',
      'reflect-metadata',
      'tslib',
      'iterare',
      'uid',
      'fast-safe-stringify',
      'load-esm',
    ],
  ],
  [
    'validation (class-validator, class-transformer)',
    ['class-validator', 'class-transformer', 'validator', 'libphonenumber-js'],
  ],
  [
    'logging (pino, pino-http)',
    [
      'pino',
      'pino-http',
      'nestjs-pino',
      'pino-std-serializers',
      'sonic-boom',
      'fast-redact',
      '@pinojs/redact',
      'quick-format-unescaped',
      'safe-stable-stringify',
      'on-exit-leak-free',
      'atomic-sleep',
      'thread-stream',
      'get-caller-file',
      'process-warning',
    ],
  ],
  ['helmet', ['helmet']],
  ['metrics (prom-client)', ['prom-client', 'tdigest', 'bintrees']],
  [
    'Express',
    [
      'express',
      'router',
      'body-parser',
      'finalhandler',
      'send',
      'serve-static',
      'path-to-regexp',
      'qs',
      'parseurl',
      'encodeurl',
      'content-type',
      'type-is',
      'mime-types',
      'mime-db',
      'accepts',
      'negotiator',
      'statuses',
      'on-finished',
      'depd',
      'debug',
      'http-errors',
      'etag',
      'fresh',
      'range-parser',
      'proxy-addr',
      'forwarded',
      'ipaddr.js',
      'vary',
      'cookie',
      'cookie-signature',
      'merge-descriptors',
      'escape-html',
      'iconv-lite',
      'raw-body',
      'bytes',
      'media-typer',
      'content-disposition',
      'cors',
      'object-assign',
      'ee-first',
      'unpipe',
      'setprototypeof',
      'side-channel',
      'call-bound',
      'get-intrinsic',
      'es-errors',
      'side-channel-list',
      'side-channel-map',
      'side-channel-weakmap',
      'object-inspect',
      'math-intrinsics',
      'function-bind',
      'hasown',
      'dunder-proto',
      'es-define-property',
      'es-object-atoms',
      'gopd',
      'has-symbols',
      'call-bind-apply-helpers',
      'get-proto',
      'inherits',
      'toidentifier',
    ],
  ],
  ['our code (libs/*, apps/*)', ['libs/', 'apps/']],
  ['TypeORM', ['typeorm']],
  [
    'pg (driver)',
    [
      'pg',
      'pg-protocol',
      'pg-pool',
      'pg-types',
      'pg-int8',
      'postgres-array',
      'postgres-bytea',
      'postgres-date',
      'postgres-interval',
      'pgpass',
      'pg-connection-string',
      'pg-cloudflare',
      'split2',
      'xtend',
    ],
  ],
  [
    'async context (AsyncLocalStorage, promises)',
    ['node:async_hooks', 'node:process', 'native:runMicrotasks'],
  ],
  [
    'Node HTTP, sockets, streams, events',
    [
      'node:_http_',
      'node:net',
      'node:stream',
      'node:streams',
      'node:events',
      'node:buffer',
      'node:timers',
      'node:url',
      'node:querystring',
      'node:util',
      'node:internal',
      'node:dns',
      'node:diagnostics_channel',
      'native:writev',
      'native:writeUtf8String',
      'native:writeLatin1String',
      'native:writeString',
      'native:writeBuffer',
      'native:shutdown',
      'native:readStart',
      'native:onStreamRead',
      'native:setHeader',
      'native:cork',
      'native:uncork',
    ],
  ],
  ['JSON', ['native:stringify', 'native:parse']],
  ['garbage collection', ['(garbage collector)']],
  ['(program): V8 and libuv outside JS', ['(program)']],
];

function packageOf(n) {
  const { url, functionName } = n.callFrame;
  if (!url)
    return functionName.startsWith('(') ? functionName : `native:${functionName || '(anonymous)'}`;
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  const own = /dist\/((?:libs|apps)\/[^/]+)/.exec(url);
  if (own) return own[1];
  if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?/, 'node:');
  if (url.includes('/bench/')) return 'bench (the peer)';
  return url;
}

function layerOf(pkg) {
  for (const [name, prefixes] of LAYERS)
    if (
      prefixes.some(
        (p) =>
          pkg === p ||
          (p.endsWith('/') || p.endsWith('_') || p.startsWith('node:') ? pkg.startsWith(p) : false),
      )
    )
      return name;
  return pkg === 'bench (the peer)' ? "the peer's own code" : 'other';
}

// Sample timestamps: the profile's start plus the running sum of timeDeltas.
const times = [];
let t = profile.startTime;
for (const d of profile.timeDeltas) times.push((t += d));
const end = times[times.length - 1] - 1_000_000; // the last second is the shutdown
const start = end - seconds * 1_000_000;
const byPackage = new Map();
let busy = 0;
let idle = 0;
for (let i = 0; i < profile.samples.length; i += 1) {
  if (times[i] < start || times[i] > end) continue;
  const delta = profile.timeDeltas[i + 1] ?? 0;
  const pkg = packageOf(nodes.get(profile.samples[i]));
  if (pkg === '(idle)') {
    idle += delta;
    continue;
  }
  busy += delta;
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + delta);
}
const byLayer = new Map();
for (const [pkg, us] of byPackage) byLayer.set(layerOf(pkg), (byLayer.get(layerOf(pkg)) ?? 0) + us);
const pct = (us) => `${((100 * us) / busy).toFixed(1)}%`;
console.log(
  `busy ${(busy / 1000).toFixed(0)} ms, idle ${(idle / 1000).toFixed(0)} ms in the last ${seconds} s`,
);
for (const [name, us] of [...byLayer].sort((a, b) => b[1] - a[1]))
  console.log(`${pct(us).padStart(6)}  ${name}`);
if (flag === '--packages') {
  console.log('');
  for (const [pkg, us] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 40))
    console.log(`${pct(us).padStart(6)}  ${pkg}  (${layerOf(pkg)})`);
}
