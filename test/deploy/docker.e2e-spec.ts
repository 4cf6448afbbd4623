// docker-compose.yml validates, and the container entrypoint migrates a database and then execs the API.
import { jest } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describeNeedingDebian, ensureDebianPrograms } from '../harness/debian.js';
import { REPO, tempDir } from '../harness/nginx.js';
import { createTestDatabase, freePort, TEST_ADMIN, TEST_JWT_SECRET } from '../harness/test-app.js';

jest.setTimeout(180_000);

const COMPOSE_ENV = {
  POSTGRES_PASSWORD: 'owner-password',
  APP_DB_PASSWORD: 'app-password',
  REDIS_PASSWORD: 'redis-password',
  JWT_SECRET: TEST_JWT_SECRET,
  GRAFANA_ADMIN_PASSWORD: 'grafana-password',
  DOMAIN: 'api.test',
  ALERT_WEBHOOK_URL: 'http://127.0.0.1:9/alerts',
  BACKUP_CIPHER_PASS: 'backup-passphrase',
};

/** `docker compose config` when the plugin exists, else Debian's docker-compose (installed when missing). */
function composeConfig(files: string[]) {
  const fileArgs = files.flatMap((f) => ['-f', f]);
  const plugin = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
  const [command, args] =
    plugin.status === 0
      ? ['docker', ['compose', ...fileArgs, 'config']]
      : ['docker-compose', [...fileArgs, 'config']];
  const result = spawnSync(command, args, {
    cwd: REPO,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/root',
      ...COMPOSE_ENV,
    },
  });
  return {
    status: result.status,
    output: `${result.stdout}${result.stderr}`,
    stdout: result.stdout,
  };
}

const TOOLS: Record<string, string> =
  spawnSync('docker', ['compose', 'version']).status === 0
    ? {}
    : { 'docker-compose': 'docker-compose' };

describeNeedingDebian(TOOLS)('docker-compose.yml and the container entrypoint', () => {
  beforeAll(() => ensureDebianPrograms(TOOLS));

  it('validates', () => {
    const alone = composeConfig(['docker-compose.yml']);
    expect(alone.output).not.toMatch(/invalid|error/i);
    expect(alone.status).toBe(0);
    const config = alone.stdout;
    // Only Nginx publishes ports; the API, PostgreSQL and Redis stay on the compose network.
    const published = [...config.matchAll(/published: ['"]?(\d+)/g)].map((m) => m[1]);
    const legacy = [...config.matchAll(/- (?:[\d.]+:)?(\d+):\d+/g)].map((m) => m[1]);
    expect([...published, ...legacy].sort()).toEqual(['443', '80']);
  });

  it('validates with the monitoring profile added', () => {
    const withMonitoring = composeConfig([
      'docker-compose.yml',
      'deploy/monitoring/docker-compose.monitoring.yml',
    ]);
    expect(withMonitoring.output).not.toMatch(/invalid|error/i);
    expect(withMonitoring.status).toBe(0);
  });

  it('hardens every long-running service', () => {
    const text = readFileSync(path.join(REPO, 'docker-compose.yml'), 'utf8');
    expect(text).toContain('cap_drop: [ALL]');
    expect(text).toContain('no-new-privileges:true');
    expect(text).toMatch(/log_min_duration_statement/);
    for (const service of ['postgres', 'redis', 'api', 'nginx']) {
      expect(text).toMatch(new RegExp(`\\n  ${service}:\\n    <<: \\*hardening`));
    }
    const dockerfile = readFileSync(path.join(REPO, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
    expect(dockerfile).toContain('/usr/bin/tini');
  });

  /** A variable the runtime stage's ENV sets, as the entrypoint's node sees it. */
  function imageEnv(name: string): string {
    const dockerfile = readFileSync(path.join(REPO, 'Dockerfile'), 'utf8');
    const match = new RegExp(`\\b${name}=("([^"]*)"|(\\S+))`).exec(
      dockerfile.slice(dockerfile.indexOf('AS runtime')),
    );
    if (!match) throw new Error(`the runtime stage sets no ${name}`);
    return match[2] ?? match[3]!;
  }

  it('runs node with the flags PM2 gives its workers (heap bounds included) and fewer malloc arenas', () => {
    const ecosystem = createRequire(import.meta.url)(
      path.join(REPO, 'deploy/pm2/ecosystem.config.cjs'),
    ) as { apps: { node_args: string[] }[] };
    expect(imageEnv('NODE_ARGS').split(/\s+/)).toEqual(ecosystem.apps[0]!.node_args);
    expect(imageEnv('NODE_ARGS')).toContain('--max-old-space-size=');
    expect(imageEnv('MALLOC_ARENA_MAX')).toMatch(/^[1-9]\d*$/);
  });

  /**
   * The runtime stage's file layout, built from the Dockerfile's COPY lines (node_modules linked rather than
   * copied), so the entrypoint runs with exactly the files the image would have.
   */
  function imageLayout(): string {
    const app = path.join(tempDir('eff-image-'), 'app');
    mkdirSync(app, { recursive: true });
    const dockerfile = readFileSync(path.join(REPO, 'Dockerfile'), 'utf8');
    const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'));
    for (const match of runtime.matchAll(/^COPY (--from=build )?(.+)$/gm)) {
      const parts = match[2]!.trim().split(/\s+/);
      const target = parts.pop()!;
      for (const source of parts) {
        const from = match[1]
          ? path.join(REPO, source.replace(/^\/app\//, ''))
          : path.join(REPO, source);
        const to = target.endsWith('/')
          ? path.join(app, target, path.basename(source))
          : path.join(app, target);
        mkdirSync(path.dirname(to), { recursive: true });
        if (path.basename(source) === 'node_modules') symlinkSync(from, to);
        else cpSync(from, to, { recursive: true });
      }
    }
    return app;
  }

  it('the entrypoint migrates, then execs the API, which answers and stops cleanly on SIGTERM', async () => {
    const app = imageLayout();
    const db = await createTestDatabase();
    try {
      // An empty database: the entrypoint must create the schema and the reference data.
      await db.pool.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
      const port = await freePort();
      const { DATABASE_URL: _d, REDIS_URL: _r, ...inherited } = process.env;
      const child = spawn('sh', [path.join(app, 'deploy/docker/entrypoint.sh')], {
        cwd: '/',
        env: {
          ...inherited,
          NODE_ENV: 'test',
          NODE_ARGS: imageEnv('NODE_ARGS'),
          MALLOC_ARENA_MAX: imageEnv('MALLOC_ARENA_MAX'),
          HOST: '127.0.0.1',
          PORT: String(port),
          MIGRATION_DATABASE_URL: db.url,
          DATABASE_URL: db.url,
          DATABASE_POOL_SIZE: '3',
          JWT_SECRET: TEST_JWT_SECRET,
          ADMIN_EMAIL: TEST_ADMIN.email,
          ADMIN_PASSWORD: TEST_ADMIN.password,
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      const exited = new Promise<number | null>((resolve) =>
        child.once('exit', (code) => resolve(code)),
      );

      const deadline = Date.now() + 120_000;
      let healthy = false;
      while (!healthy && Date.now() < deadline && child.exitCode === null) {
        healthy = await fetch(`http://127.0.0.1:${port}/api/v1/health/ready`)
          .then((r) => r.ok)
          .catch(() => false);
        if (!healthy) await new Promise((r) => setTimeout(r, 250));
      }
      expect({ healthy, output: healthy ? '' : output }).toEqual({ healthy: true, output: '' });
      expect(output).toContain('[entrypoint] applying migrations');
      const provinces = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM provinces');
      expect(Number(provinces.rows[0]?.n)).toBe(9);

      // exec: the spawned process *is* the API now, so SIGTERM reaches its graceful shutdown directly.
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output).toContain('SIGTERM received');
    } finally {
      await db.drop();
      rmSync(path.dirname(app), { recursive: true, force: true });
    }
  });
});
