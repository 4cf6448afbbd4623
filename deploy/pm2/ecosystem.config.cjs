// PM2 process file for a host install (deploy/docs/GUIDE.md). CommonJS because the package is ESM.
//
//   set -a; . /etc/eff-membership-api/env; set +a      # or let this file read EFF_ENV_FILE, see below
//   MALLOC_ARENA_MAX=2 npx pm2 startOrReload deploy/pm2/ecosystem.config.cjs --update-env
//   npx pm2 reload eff-membership-api                  # zero-downtime: one worker at a time
//
// MALLOC_ARENA_MAX=2 (glibc's malloc, about 20 MB less RSS per worker under load) must be in the environment of
// PM2's daemon, which the first command starts when none runs: cluster workers are forked with the daemon's
// environment, and `env` below reaches their process.env only once they run, after glibc has read it. At boot
// the systemd unit of `pm2 startup` sets it (deploy/docs/GUIDE.md).
//
// Cluster mode: PM2's master holds port 5000 and hands connections to the workers. A reload starts a new worker,
// waits for its `process.send('ready')` (main.ts, after listen), then sends the old one the 'shutdown' message
// (main.ts drains in-flight requests, closes pools and Redis, exits). socket.io clients use the WebSocket
// transport only (`transports: ['websocket']`), so no sticky sessions are needed across workers.
/* global __dirname */
'use strict';
const { existsSync, readFileSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '../..');

/** KEY=value lines (comments and blank lines skipped, optional quotes removed). */
function readEnvFile(file) {
  const env = {};
  if (!file || !existsSync(file)) return env;
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)\s*$/.exec(line);
    if (!match) continue;
    env[match[1]] = match[2].replace(/^(['"])(.*)\1$/, '$2');
  }
  return env;
}

// The API's configuration (README "Configuration"): EFF_ENV_FILE (default /etc/eff-membership-api/env), overridden
// by the environment pm2 is started with.
const fileEnv = readEnvFile(process.env.EFF_ENV_FILE || '/etc/eff-membership-api/env');
const setting = (name, fallback) => process.env[name] || fileEnv[name] || fallback;

const shutdownTimeoutMs = Number(setting('SHUTDOWN_TIMEOUT_MS', '10000'));
// The heap bounds keep a worker near 200 MB RSS at full load, and marking on the worker's own thread (no helper
// threads taking its core, as every core runs a worker) keeps mark-compacts out of the latency tail (bench/README.md "API
// memory"); the Dockerfile's NODE_ARGS are the same (test/deploy/docker.e2e-spec.ts compares them).
const nodeArgs = setting(
  'NODE_ARGS',
  '--enable-source-maps --min-semi-space-size=16 --max-semi-space-size=16 --max-old-space-size=192 --no-concurrent-marking',
).split(/\s+/);
const logDir = setting('PM2_LOG_DIR', '/var/log/eff-membership-api');

module.exports = {
  apps: [
    {
      name: setting('PM2_APP_NAME', 'eff-membership-api'),
      cwd: root,
      script: 'dist/apps/api/src/main.js',
      exec_mode: 'cluster',
      // One worker per core by default; PM2_INSTANCES=2 on a small box.
      instances: setting('PM2_INSTANCES', 'max'),
      // Wait for process.send('ready') (sent once the API listens) before routing traffic to a new worker.
      wait_ready: true,
      listen_timeout: 30000,
      // pm2 reload/stop send the 'shutdown' message instead of SIGINT (the cluster master owns the signals).
      shutdown_with_message: true,
      // Above SHUTDOWN_TIMEOUT_MS, so the API's own drain finishes before PM2 sends SIGKILL.
      kill_timeout: shutdownTimeoutMs + 5000,
      max_memory_restart: setting('PM2_MAX_MEMORY', '768M'),
      node_args: nodeArgs,
      min_uptime: 10000,
      max_restarts: 10,
      exp_backoff_restart_delay: 200,
      autorestart: true,
      merge_logs: true,
      time: false, // the API logs JSON with its own timestamps
      out_file: path.join(logDir, 'out.log'),
      error_file: path.join(logDir, 'error.log'),
      env: {
        ...fileEnv,
        NODE_ENV: setting('NODE_ENV', 'production'),
        HOST: setting('HOST', '127.0.0.1'),
        PORT: setting('PORT', '5000'),
        // Metrics on loopback ports of their own, never on the proxied port: worker N (NODE_APP_INSTANCE, set by
        // PM2) listens on METRICS_PORT + N, so Prometheus scrapes each worker (9400, 9401, ...) and sums them.
        METRICS_PORT: setting('METRICS_PORT', '9400'),
        METRICS_HOST: setting('METRICS_HOST', '127.0.0.1'),
        // Several workers without sticky sessions: socket.io clients must use the websocket transport.
        REALTIME_TRANSPORTS: setting('REALTIME_TRANSPORTS', 'websocket'),
        // The dispatcher app below delivers the outbox, so a large campaign never shares the event loop (or the
        // core) of the request-serving workers. MESSAGING_DISPATCH=on here only if that app is not run.
        MESSAGING_DISPATCH: setting('MESSAGING_DISPATCH', 'off'),
      },
    },
    {
      // The outbox dispatcher (`cli.js dispatch`): delivers email and SMS, no HTTP. Several may run (leased claims,
      // FOR UPDATE SKIP LOCKED); one is enough for ~600 messages/s (bench/README.md). SIGINT on stop/reload: it
      // finishes the batch in hand and exits; what it could not finish is claimed again after the lease.
      name: `${setting('PM2_APP_NAME', 'eff-membership-api')}-dispatch`,
      cwd: root,
      script: 'dist/apps/api/src/cli.js',
      args: ['dispatch'],
      exec_mode: 'fork',
      instances: Number(setting('PM2_DISPATCH_INSTANCES', '1')),
      kill_timeout: 30000,
      max_memory_restart: setting('PM2_MAX_MEMORY', '768M'),
      node_args: ['--enable-source-maps'],
      min_uptime: 10000,
      max_restarts: 10,
      exp_backoff_restart_delay: 200,
      autorestart: true,
      merge_logs: true,
      time: false,
      out_file: path.join(logDir, 'dispatch-out.log'),
      error_file: path.join(logDir, 'dispatch-error.log'),
      env: {
        ...fileEnv,
        NODE_ENV: setting('NODE_ENV', 'production'),
      },
    },
  ],
};
