// deploy/docker-compose.ha.yml layered on docker-compose.yml validates (`docker compose config`, or Debian's
// docker-compose), and the merged stack is what the HA guide describes. Images are not pulled or run here (no
// registry access in the tests): the replication and failover themselves are tested with Debian's binaries in
// read-replicas.e2e-spec.ts and redis-sentinel.e2e-spec.ts.
import { jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { load } from 'js-yaml';
import { describeNeedingDebian, ensureDebianPrograms } from '../harness/debian.js';
import { REPO } from '../harness/nginx.js';
import { TEST_JWT_SECRET } from '../harness/test-app.js';

jest.setTimeout(60_000);

const COMPOSE_ENV = {
  POSTGRES_PASSWORD: 'owner-password',
  APP_DB_PASSWORD: 'app-password',
  REDIS_PASSWORD: 'redis-password',
  JWT_SECRET: TEST_JWT_SECRET,
  DOMAIN: 'api.test',
  BACKUP_CIPHER_PASS: 'backup-passphrase',
  REPLICATION_PASSWORD: 'replication-password',
};

const HAS_PLUGIN = spawnSync('docker', ['compose', 'version']).status === 0;
const TOOLS: Record<string, string> = HAS_PLUGIN ? {} : { 'docker-compose': 'docker-compose' };

function composeConfig(files: string[], env: Record<string, string> = COMPOSE_ENV) {
  const fileArgs = files.flatMap((f) => ['-f', f]);
  const [command, args] = HAS_PLUGIN
    ? ['docker', ['compose', ...fileArgs, 'config']]
    : ['docker-compose', [...fileArgs, 'config']];
  const result = spawnSync(command, args, {
    cwd: REPO,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...env },
  });
  return {
    status: result.status,
    output: `${result.stdout}${result.stderr}`,
    stdout: result.stdout,
  };
}

interface Service {
  image?: string;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  ports?: unknown[];
  deploy?: { replicas?: number };
  volumes?: (string | { source?: string; target?: string })[];
}

describeNeedingDebian(TOOLS)('deploy/docker-compose.ha.yml overlay', () => {
  let services: Record<string, Service>;

  beforeAll(() => {
    ensureDebianPrograms(TOOLS);
    const merged = composeConfig(['docker-compose.yml', 'deploy/docker-compose.ha.yml']);
    expect(merged.output).not.toMatch(/invalid|error/i);
    expect(merged.status).toBe(0);
    services = (load(merged.stdout) as { services: Record<string, Service> }).services;
  });

  it('adds a streaming replica, a Redis replica, three Sentinels and two API replicas', () => {
    for (const name of [
      'postgres',
      'postgres-replica',
      'redis',
      'redis-replica',
      'sentinel-1',
      'sentinel-2',
      'sentinel-3',
      'api',
      'nginx',
    ])
      expect(Object.keys(services)).toContain(name);
    expect(services.api!.deploy?.replicas).toBe(2);
    expect(services['postgres-replica']!.image).toMatch(/^postgres:16/);
    // Still only Nginx publishes ports.
    const published = Object.entries(services)
      .filter(([, s]) => (s.ports ?? []).length > 0)
      .map(([name]) => name);
    expect(published).toEqual(['nginx']);
  });

  it('points the API at the replica and the Sentinels, WebSocket-only', () => {
    const env = services.api!.environment!;
    expect(env.DATABASE_REPLICA_URLS).toBe(
      'postgres://eff_app:app-password@postgres-replica:5432/eff_membership',
    );
    expect(env.REDIS_SENTINELS!.split(',')).toHaveLength(3);
    expect(env.REDIS_SENTINEL_NAME).toBe('effmaster');
    expect(env.REALTIME_TRANSPORTS).toBe('websocket');
    // The base stack's settings survive the overlay.
    expect(env.DATABASE_URL).toBe('postgres://eff_app:app-password@postgres:5432/eff_membership');
  });

  it('keeps the primary archiving and lets the replica stream (pg_basebackup -R, replication hba)', () => {
    const command = services.postgres!.command!.join(' ');
    expect(command).toContain('archive_command=pgbackrest');
    expect(command).toContain('max_wal_senders=10');
    expect(command).toContain('hba_file=/etc/postgresql/ha/pg_hba.conf');
    const hba = readFileSync(path.join(REPO, 'deploy/ha/pg_hba.conf'), 'utf8');
    expect(hba).toMatch(/^host\s+replication\s+eff_replicator\s+all\s+scram-sha-256$/m);
    const entrypoint = readFileSync(path.join(REPO, 'deploy/ha/replica-entrypoint.sh'), 'utf8');
    expect(entrypoint).toMatch(/pg_basebackup[\s\S]*-R -X stream/);
    for (const script of ['replica-entrypoint.sh', 'sentinel-entrypoint.sh']) {
      const check = spawnSync('bash', ['-n', path.join(REPO, 'deploy/ha', script)], {
        encoding: 'utf8',
      });
      expect(check.stderr).toBe('');
      expect(check.status).toBe(0);
    }
  });

  it('refuses to render without REPLICATION_PASSWORD', () => {
    const { REPLICATION_PASSWORD: _omitted, ...env } = COMPOSE_ENV;
    const result = composeConfig(['docker-compose.yml', 'deploy/docker-compose.ha.yml'], env);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('REPLICATION_PASSWORD');
  });
});
