// The monitoring overlay (deploy/monitoring) with the stack's own .env: configuration rendered by render.sh and
// checked by Prometheus' and Alertmanager's own tools, and an alert delivered to a local webhook receiver.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server } from 'node:http';
import path from 'node:path';
import { load } from 'js-yaml';
import { debianProgramWithoutInstall, describeNeedingDebian } from '../harness/debian.js';
import { REPO, tempDir } from '../harness/nginx.js';
import { freePort } from '../harness/test-app.js';

const MONITORING = path.join(REPO, 'deploy/monitoring');
const RENDER = path.join(MONITORING, 'render.sh');

/** KEY=value lines of deploy/docker/env.example: what an operator's .env starts from. */
function stackEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(path.join(REPO, 'deploy/docker/env.example'), 'utf8').split(
    '\n',
  )) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match) env[match[1]!] = match[2]!;
  }
  return env;
}

function render(
  args: string[],
  env: Record<string, string>,
): { status: number | null; output: string } {
  const result = spawnSync('sh', [RENDER, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

interface ComposeService {
  image?: string;
  environment?: Record<string, string>;
  entrypoint?: string[];
  command?: string[];
}
function composeServices(file: string): Record<string, ComposeService> {
  return (
    load(readFileSync(path.join(REPO, file), 'utf8')) as {
      services: Record<string, ComposeService>;
    }
  ).services;
}

describe('deploy/monitoring overlay with the stack’s .env', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('eff-monitoring-');
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('env.example carries every variable the overlay requires', () => {
    const env = stackEnv();
    const overlay = readFileSync(path.join(MONITORING, 'docker-compose.monitoring.yml'), 'utf8');
    const required = [...overlay.matchAll(/\$\{([A-Z_]+):\?/g)].map((m) => m[1]!);
    expect(required).toEqual(
      expect.arrayContaining([
        'DOMAIN',
        'POSTGRES_PASSWORD',
        'ALERT_WEBHOOK_URL',
        'GRAFANA_ADMIN_PASSWORD',
      ]),
    );
    for (const name of required)
      expect({ name, inEnvExample: name in env }).toEqual({ name, inEnvExample: true });
  });

  it("logs the PostgreSQL exporter in as the stack's owner, on the stack's database", () => {
    const stack = composeServices('docker-compose.yml').postgres!.environment!;
    const exporter = composeServices('deploy/monitoring/docker-compose.monitoring.yml')[
      'postgres-exporter'
    ]!.environment!;
    expect(exporter.DATA_SOURCE_USER).toBe(stack.POSTGRES_USER);
    expect(exporter.DATA_SOURCE_USER).toBe('eff_owner');
    expect(exporter.DATA_SOURCE_URI).toBe(`postgres:5432/${stack.POSTGRES_DB}?sslmode=disable`);
    expect(exporter.DATA_SOURCE_PASS).toBe('${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}');
  });

  it('runs Prometheus and Grafana at current major releases, with an Alertmanager', () => {
    const overlay = composeServices('deploy/monitoring/docker-compose.monitoring.yml');
    expect(overlay.prometheus!.image).toMatch(/^prom\/prometheus:v3\.\d+\.\d+$/);
    expect(overlay.grafana!.image).toMatch(/^grafana\/grafana-oss:12\.\d+\.\d+$/);
    expect(overlay.alertmanager!.image).toMatch(/^prom\/alertmanager:v0\.\d+\.\d+$/);
    expect(overlay.prometheus!.entrypoint).toEqual([
      '/bin/sh',
      '/etc/prometheus/render.sh',
      'targets',
      '/prometheus/targets',
      '--',
      '/bin/prometheus',
    ]);
  });

  it('mounts every rule file prometheus.yml loads into the Prometheus container', () => {
    const prometheus = load(readFileSync(path.join(MONITORING, 'prometheus.yml'), 'utf8')) as {
      rule_files: string[];
    };
    const volumes = (
      composeServices('deploy/monitoring/docker-compose.monitoring.yml').prometheus as {
        volumes: string[];
      }
    ).volumes;
    for (const file of prometheus.rule_files) {
      expect(volumes).toContain(`./deploy/monitoring/${file}:/etc/prometheus/${file}:ro`);
    }
  });

  it('derives the probe target from DOMAIN and scrapes every PM2 worker', () => {
    const env = { ...stackEnv(), DOMAIN: 'members.example.org' };
    const compose = path.join(dir, 'compose-targets');
    expect(render(['targets', compose], env).status).toBe(0);
    expect(load(readFileSync(path.join(compose, 'blackbox.yml'), 'utf8'))).toEqual([
      { targets: ['members.example.org:443'] },
    ]);
    expect(load(readFileSync(path.join(compose, 'api.yml'), 'utf8'))).toEqual([
      { targets: ['api:9400'] },
    ]);

    const pm2 = path.join(dir, 'pm2-targets');
    expect(
      render(['targets', pm2], { ...env, EFF_PM2_WORKERS: '4', METRICS_PORT: '9400' }).status,
    ).toBe(0);
    expect(load(readFileSync(path.join(pm2, 'api.yml'), 'utf8'))).toEqual([
      { targets: ['127.0.0.1:9400', '127.0.0.1:9401', '127.0.0.1:9402', '127.0.0.1:9403'] },
    ]);

    const bad = render(['targets', pm2], { ...env, DOMAIN: 'x;rm -rf' });
    expect(bad.status).toBe(2);
    expect(bad.output).toContain('DOMAIN must be the public host name');
    expect(render(['alertmanager', 'x', 'y'], { ALERT_WEBHOOK_URL: "http://a/'b" }).status).toBe(2);
    expect(render(['alertmanager', 'x', 'y'], { ALERT_WEBHOOK_URL: '' }).status).toBe(2);
  });
});

const TOOLS = {
  promtool: 'prometheus',
  amtool: 'prometheus-alertmanager',
  'prometheus-alertmanager': 'prometheus-alertmanager',
};

describeNeedingDebian(TOOLS, { withoutInstall: true })(
  'deploy/monitoring checked by Prometheus’ and Alertmanager’s own tools',
  () => {
    let dir: string;
    beforeAll(() => {
      dir = tempDir('eff-monitoring-tools-');
    });
    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('prometheus.yml sends alerts to the Alertmanager and reads the rendered targets; promtool agrees', () => {
      const config = load(readFileSync(path.join(MONITORING, 'prometheus.yml'), 'utf8')) as {
        alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
        scrape_configs: { job_name: string; file_sd_configs?: { files: string[] }[] }[];
      };
      expect(config.alerting.alertmanagers[0]!.static_configs[0]!.targets).toEqual([
        'alertmanager:9093',
      ]);
      const job = (name: string) => config.scrape_configs.find((j) => j.job_name === name);
      expect(job('eff-api')!.file_sd_configs![0]!.files).toEqual(['/prometheus/targets/api.yml']);
      expect(job('blackbox-tls')!.file_sd_configs![0]!.files).toEqual([
        '/prometheus/targets/blackbox.yml',
      ]);
      expect(readFileSync(path.join(MONITORING, 'prometheus.yml'), 'utf8')).not.toContain(
        'example.org',
      );

      const promtool = debianProgramWithoutInstall('promtool', 'prometheus');
      const check = spawnSync(promtool, ['check', 'config', 'prometheus.yml'], {
        cwd: MONITORING,
        encoding: 'utf8',
      });
      expect(`${check.stdout}${check.stderr}`).toContain('SUCCESS');
      expect(check.status).toBe(0);
    }, 300_000);

    it('backup alerts fire when backups or WAL archiving go stale (promtool rules test), and the dashboard shows both', () => {
      const promtool = debianProgramWithoutInstall('promtool', 'prometheus');
      const run = (...args: string[]) => {
        const result = spawnSync(promtool, args, { cwd: MONITORING, encoding: 'utf8' });
        return { status: result.status, output: `${result.stdout}${result.stderr}` };
      };
      const rules = run('check', 'rules', 'backup-alerts.yml');
      expect(rules.output).toContain('SUCCESS: 5 rules found');
      const tests = run('test', 'rules', 'backup-alerts.test.yml');
      expect(tests.output).toContain('SUCCESS');
      expect(tests.status).toBe(0);
      const prometheus = load(readFileSync(path.join(MONITORING, 'prometheus.yml'), 'utf8')) as {
        rule_files: string[];
      };
      expect(prometheus.rule_files).toContain('backup-alerts.yml');
      const dashboard = readFileSync(
        path.join(MONITORING, 'grafana/dashboards/eff-membership-api.json'),
        'utf8',
      );
      expect(dashboard).toContain('db_backup_last_success_timestamp_seconds{type=\\"full\\"}');
      expect(dashboard).toContain('db_backup_wal_last_archived_timestamp_seconds');
    }, 300_000);

    it('Alertmanager (checked by amtool) delivers an alert to the ALERT_WEBHOOK_URL receiver', async () => {
      const received: unknown[] = [];
      const webhook: Server = createServer((req: IncomingMessage, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          received.push(JSON.parse(body));
          res.end('ok');
        });
      });
      const webhookPort = await freePort();
      await new Promise<void>((resolve) => webhook.listen(webhookPort, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${webhookPort}/hooks/eff?token=a&b=c`;
      const config = path.join(dir, 'am/alertmanager.yml');
      const rendered = render(['alertmanager', path.join(MONITORING, 'alertmanager.yml'), config], {
        ...stackEnv(),
        ALERT_WEBHOOK_URL: url,
      });
      expect(rendered.output).toBe('');
      expect(readFileSync(config, 'utf8')).toContain(`url: '${url}'`);

      const amtool = debianProgramWithoutInstall('amtool', 'prometheus-alertmanager');
      const check = spawnSync(amtool, ['check-config', config], { encoding: 'utf8' });
      expect(`${check.stdout}${check.stderr}`).toContain('SUCCESS');
      expect(check.status).toBe(0);

      const alertmanager = debianProgramWithoutInstall(
        'prometheus-alertmanager',
        'prometheus-alertmanager',
      );
      // Debian's build reads its notification templates from the package's fixed path; unpacked without installing
      // (no daemon started), they are put where it looks.
      const templates = '/usr/share/prometheus/alertmanager';
      if (!existsSync(path.join(templates, 'default.tmpl'))) {
        mkdirSync(templates, { recursive: true });
        cpSync(
          path.join(path.dirname(alertmanager), '../share/prometheus/alertmanager'),
          templates,
          {
            recursive: true,
          },
        );
      }
      const port = await freePort();
      mkdirSync(path.join(dir, 'am/data'), { recursive: true });
      // group_wait is 30 s in production; the delivery path is what is under test here.
      writeFileSync(
        config,
        readFileSync(config, 'utf8').replace('group_wait: 30s', 'group_wait: 1s'),
      );
      const child = spawn(
        alertmanager,
        [
          `--config.file=${config}`,
          `--storage.path=${path.join(dir, 'am/data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--cluster.listen-address=',
        ],
        { stdio: 'ignore' },
      );
      try {
        const base = `http://127.0.0.1:${port}`;
        for (let i = 0; ; i += 1) {
          const ready = await fetch(`${base}/-/ready`).then(
            (r) => r.ok,
            () => false,
          );
          if (ready) break;
          if (i > 100) throw new Error('Alertmanager did not start');
          await new Promise((r) => setTimeout(r, 100));
        }
        const posted = await fetch(`${base}/api/v2/alerts`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify([
            { labels: { alertname: 'EffBackupFullTooOld', severity: 'critical', instance: 'db' } },
          ]),
        });
        expect(posted.status).toBe(200);
        const deadline = Date.now() + 30_000;
        while (received.length === 0 && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 200));
        expect(received[0]).toMatchObject({
          receiver: 'ops-webhook',
          status: 'firing',
          alerts: [{ labels: { alertname: 'EffBackupFullTooOld', severity: 'critical' } }],
        });
      } finally {
        child.kill('SIGTERM');
        webhook.close();
      }
    }, 300_000);
  },
);
