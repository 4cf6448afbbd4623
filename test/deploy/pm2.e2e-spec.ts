// deploy/pm2/ecosystem.config.cjs: the real API under PM2 cluster mode (two workers) survives `pm2 reload` under
// steady load without a single failed request.
import { jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { runLoad, sleep } from '../harness/load.js';
import { describeNeedingDebian, ensureDebianPrograms } from '../harness/debian.js';
import {
  mainConfig,
  renderSite,
  REPO,
  RunningNginx,
  startNginx,
  tempDir,
} from '../harness/nginx.js';
import {
  createTestDatabase,
  freePort,
  TEST_ADMIN,
  TEST_JWT_SECRET,
  TestDatabase,
  testRedisUrl,
} from '../harness/test-app.js';

jest.setTimeout(180_000);

const PM2 = path.join(REPO, 'node_modules/.bin/pm2');
const ECOSYSTEM = path.join(REPO, 'deploy/pm2/ecosystem.config.cjs');
const APP = 'eff-api-pm2-test';
const ECOSYSTEM_NODE_ARGS = (
  createRequire(import.meta.url)(ECOSYSTEM) as { apps: { node_args: string[] }[] }
).apps[0]!.node_args;

interface Pm2Process {
  name: string;
  pid: number;
  pm2_env: { status: string; exec_mode: string; restart_time: number; node_args: string[] };
}

const TOOLS = { nginx: 'nginx' };

describeNeedingDebian(TOOLS)('deploy/pm2 cluster mode', () => {
  let db: TestDatabase;
  let home: string;
  let port: number;
  let env: NodeJS.ProcessEnv;
  let nginx: RunningNginx;
  let proxyPort: number;

  const pm2 = async (...args: string[]): Promise<string> => {
    const { stdout } = await promisify(execFile)(PM2, args, {
      env,
      cwd: REPO,
      encoding: 'utf8',
      timeout: 120_000,
    });
    return stdout;
  };
  const list = async (): Promise<Pm2Process[]> =>
    (JSON.parse(await pm2('jlist')) as Pm2Process[]).filter((p) => p.name === APP);

  beforeAll(async () => {
    db = await createTestDatabase();
    home = tempDir('eff-pm2-');
    port = await freePort();
    const { DATABASE_URL: _d, REDIS_URL: _r, ...inherited } = process.env;
    env = {
      ...inherited,
      PM2_HOME: path.join(home, 'pm2'),
      PM2_APP_NAME: APP,
      PM2_INSTANCES: '2',
      PM2_LOG_DIR: path.join(home, 'logs'),
      EFF_ENV_FILE: path.join(home, 'no-such-env-file'),
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      // Worker N listens on METRICS_PORT + N; a free port of its own so parallel runs do not meet on 9400.
      METRICS_PORT: String(await freePort()),
      DATABASE_URL: db.url,
      DATABASE_POOL_SIZE: '4',
      REDIS_URL: testRedisUrl(),
      REDIS_KEY_PREFIX: `pm2t${port}:`,
      JWT_SECRET: TEST_JWT_SECRET,
      ADMIN_EMAIL: TEST_ADMIN.email,
      ADMIN_PASSWORD: TEST_ADMIN.password,
      THROTTLE_LIMIT: '1000000',
      SHUTDOWN_TIMEOUT_MS: '8000',
      LOG_LEVEL: 'warn',
      // As the deploy guide starts PM2's daemon, whose environment the workers are forked with.
      MALLOC_ARENA_MAX: '2',
    };
    await pm2('start', ECOSYSTEM);

    // The production path: Nginx's upstream block (deploy/nginx, keepalive pool) in front of PM2. A plain-HTTP
    // test listener proxies to that same upstream, so the load needs no TLS client setup.
    ensureDebianPrograms(TOOLS);
    proxyPort = await freePort();
    const nginxDir = path.join(home, 'nginx');
    mkdirSync(path.join(nginxDir, 'sites'), { recursive: true });
    writeFileSync(
      path.join(nginxDir, 'sites/site.conf'),
      renderSite(
        'api.test',
        {
          EFF_HTTP_LISTEN: `127.0.0.1:${await freePort()}`,
          EFF_STATUS_LISTEN: `127.0.0.1:${await freePort()}`,
          EFF_UPSTREAM: `127.0.0.1:${port}`,
          EFF_LOG_DIR: path.join(nginxDir, 'logs'),
        },
        true,
      ),
    );
    writeFileSync(
      path.join(nginxDir, 'sites/test-proxy.conf'),
      `server {
    listen 127.0.0.1:${proxyPort};
    location / {
        proxy_pass http://eff_api;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
    }
}
`,
    );
    nginx = await startNginx(
      mainConfig(nginxDir, path.join(nginxDir, 'sites/*.conf')),
      nginxDir,
      proxyPort,
    );
  });

  afterAll(async () => {
    if (env) {
      await pm2('delete', APP).catch(() => undefined);
      await pm2('kill').catch(() => undefined);
      // The daemon is gone after `pm2 kill`; make sure even when that failed.
      try {
        const pid = Number(readFileSync(path.join(home, 'pm2/pm2.pid'), 'utf8'));
        if (pid > 0) process.kill(pid, 'SIGKILL');
      } catch {
        // already stopped
      }
    }
    await nginx?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
    await db?.drop();
  });

  it('runs two cluster workers that answer', async () => {
    const processes = await list();
    expect(processes).toHaveLength(2);
    for (const p of processes) {
      expect(p.pm2_env.status).toBe('online');
      expect(p.pm2_env.exec_mode).toBe('cluster_mode');
      // PM2 forks each worker with the heap bounds (process.title hides them from /proc/<pid>/cmdline)
      expect(p.pm2_env.node_args).toEqual(ECOSYSTEM_NODE_ARGS);
      expect(ECOSYSTEM_NODE_ARGS.join(' ')).toContain('--max-old-space-size=');
      // glibc reads its arena limit from the environment the worker process started with
      expect(readFileSync(`/proc/${p.pid}/environ`, 'utf8').split('\0')).toContain(
        'MALLOC_ARENA_MAX=2',
      );
    }
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/health/ready`);
    expect(res.status).toBe(200);
  });

  it("#15.7 serves each worker's metrics on METRICS_PORT + its instance number, none on the main port", async () => {
    const first = Number(env.METRICS_PORT);
    for (const metricsPort of [first, first + 1]) {
      const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect({ metricsPort, status: res.status }).toEqual({ metricsPort, status: 200 });
      expect(await res.text()).toContain('# HELP');
    }
    for (const p of ['/metrics', '/METRICS', '/metrics/']) {
      const res = await fetch(`http://127.0.0.1:${port}${p}`);
      expect({ p, status: res.status }).toEqual({ p, status: 404 });
    }
  });

  it('reloads under steady load with zero failed requests', async () => {
    const before = (await list()).map((p) => p.pid);
    const base = `http://127.0.0.1:${proxyPort}`;
    const load = runLoad(6, (i) => ({
      url: i % 2 === 0 ? `${base}/api/v1/health` : `${base}/api/v1/geography/provinces`,
    }));
    await sleep(1500);
    const reloadStarted = load.now();
    await pm2('reload', APP);
    const reloadEnded = load.now();
    await sleep(1500);
    const outcomes = await load.stop();

    const after = await list();
    expect(after).toHaveLength(2);
    for (const p of after) expect(p.pm2_env.status).toBe('online');
    // Both workers were replaced.
    expect(after.map((p) => p.pid).filter((pid) => before.includes(pid))).toEqual([]);

    const during = outcomes.filter((o) => o.end >= reloadStarted && o.start <= reloadEnded);
    const failed = outcomes.filter((o) => o.status !== 200);
    expect(during.length).toBeGreaterThan(20);
    expect(failed.slice(0, 5)).toEqual([]);
    expect(failed).toHaveLength(0);
  });
});
