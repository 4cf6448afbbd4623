import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer, Server } from 'node:tls';
import { METRIC } from '../../libs/core/src/metrics/metric-names.js';
import { debianProgramWithoutInstall } from '../harness/debian.js';
import { freePort } from '../harness/test-app.js';

const MONITORING = path.resolve(import.meta.dirname, '../../deploy/monitoring');
const CHECK = path.join(MONITORING, 'check-cert-expiry.sh');

let promtoolPath = '';
function promtool(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync(promtoolPath, args, { cwd: MONITORING, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Our own metric names used in a text (alerts, dashboard): anything starting eff_ or http_. */
function ownMetricNames(text: string): Set<string> {
  const names = [...text.matchAll(/\b((?:eff|http)_[a-z_]+)/g)].map((m) => m[1] ?? '');
  return new Set(names.map((n) => n.replace(/_(bucket|count|sum)$/, '')));
}

describe('deploy/monitoring', () => {
  it('alert rules and prometheus.yml pass promtool, and the rule tests pass', () => {
    promtoolPath = debianProgramWithoutInstall('promtool', 'prometheus');
    const rules = promtool('check', 'rules', 'alerts.yml');
    expect(rules.output).toContain('SUCCESS');
    expect(rules.status).toBe(0);
    const config = promtool('check', 'config', 'prometheus.yml');
    expect(config.status).toBe(0);
    const tests = promtool('test', 'rules', 'alerts.test.yml');
    expect(tests.output).toContain('SUCCESS');
    expect(tests.status).toBe(0);
  }, 300_000);

  it('alerts and the dashboard only use metric names the API defines', () => {
    const defined = new Set<string>(Object.values(METRIC));
    const alerts = readFileSync(path.join(MONITORING, 'alerts.yml'), 'utf8');
    const dashboard = readFileSync(
      path.join(MONITORING, 'grafana/dashboards/eff-membership-api.json'),
      'utf8',
    );
    for (const name of [...ownMetricNames(alerts), ...ownMetricNames(dashboard)]) {
      expect({ name, defined: defined.has(name) }).toEqual({ name, defined: true });
    }
    for (const required of [
      'EffHighErrorRate',
      'EffHighLatencyP99',
      'EffCertificateExpiresSoon',
      'EffFailedLoginSpike',
      'EffDatabaseDown',
      'EffRedisDown',
      'EffRegistrationConflictLimitReached',
    ]) {
      expect(alerts).toContain(`alert: ${required}`);
    }
  });

  it('the dashboard is valid Grafana JSON with unique panel ids and a query on every graph', () => {
    const dashboard = JSON.parse(
      readFileSync(path.join(MONITORING, 'grafana/dashboards/eff-membership-api.json'), 'utf8'),
    ) as { uid: string; panels: { id: number; type: string; targets?: { expr: string }[] }[] };
    expect(dashboard.uid).toBe('eff-membership-api');
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      expect(panel.targets?.length).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) expect(target.expr.length).toBeGreaterThan(0);
    }
  });

  describe('check-cert-expiry.sh', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'eff-cert-'));
    function certificate(days: number): { cert: string; key: string } {
      const cert = path.join(dir, `cert-${days}.pem`);
      const key = path.join(dir, `key-${days}.pem`);
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          key,
          '-out',
          cert,
          '-days',
          String(days),
          '-subj',
          '/CN=localhost',
        ],
        { stdio: 'ignore' },
      );
      return { cert, key };
    }
    function check(...args: string[]): { status: number | null; stdout: string } {
      const result = spawnSync(CHECK, args, { encoding: 'utf8' });
      return { status: result.status, stdout: result.stdout };
    }

    it('answers OK, WARNING and CRITICAL by days left (file mode)', () => {
      const ok = check('-f', certificate(60).cert);
      expect(ok.status).toBe(0);
      expect(ok.stdout).toMatch(/^OK - .*\| days_left=\d+;14;7;;$/m);
      const warning = check('-f', certificate(10).cert);
      expect(warning.status).toBe(1);
      expect(warning.stdout).toMatch(/^WARNING - /);
      const critical = check('-f', certificate(2).cert);
      expect(critical.status).toBe(2);
      expect(critical.stdout).toMatch(/^CRITICAL - /);
      expect(check('-f', certificate(60).cert, '-w', '90').status).toBe(1);
    });

    it('probes a live TLS endpoint, and is UNKNOWN when it cannot', async () => {
      const { cert, key } = certificate(10);
      const server: Server = createServer(
        { cert: readFileSync(cert), key: readFileSync(key) },
        (s) => s.end(),
      );
      const port = await freePort();
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      try {
        // Not spawnSync: the TLS server lives in this process and must keep answering while the script runs.
        const result = await new Promise<{ status: number | null; stdout: string }>((resolve) => {
          const child = spawn(CHECK, ['-H', '127.0.0.1', '-p', String(port)]);
          let stdout = '';
          child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
          child.on('close', (status) => resolve({ status, stdout }));
        });
        expect(result.stdout).toMatch(
          /^WARNING - certificate of 127\.0\.0\.1:\d+ \(CN = localhost\)/,
        );
        expect(result.status).toBe(1);
      } finally {
        server.close();
      }
      const closed = await freePort();
      expect(check('-H', '127.0.0.1', '-p', String(closed), '-t', '5').status).toBe(3);
      expect(check('-f', path.join(dir, 'missing.pem')).status).toBe(3);
      expect(check('-w', 'x').status).toBe(3);
    });
  });
});
