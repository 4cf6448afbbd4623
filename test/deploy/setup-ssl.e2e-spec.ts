// deploy/scripts/setup-ssl.sh end to end against a local ACME server (Debian's pebble) with real HTTP-01
// validation: pebble resolves api.test through pebble-challtestsrv's DNS (every name -> 127.0.0.1) and fetches the
// challenge from our Nginx on an unprivileged port (pebble's httpPort).
import { jest } from '@jest/globals';
import { ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describeNeedingDebian, ensureDebianPrograms, SBIN_PATH } from '../harness/debian.js';
import {
  curl,
  mainConfig,
  makeCertificate,
  nginxBinary,
  portOpen,
  REPO,
  RunningNginx,
  startNginx,
  tempDir,
} from '../harness/nginx.js';
import { freePort } from '../harness/test-app.js';

jest.setTimeout(300_000);

const DOMAIN = 'api.test';
const SCRIPT = path.join(REPO, 'deploy/scripts/setup-ssl.sh');

interface Daemon {
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

async function daemon(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  port: number,
): Promise<Daemon> {
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 15_000;
  while (!(await portOpen(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${command} did not start: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    process: child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

const TOOLS = {
  nginx: 'nginx',
  certbot: 'certbot',
  pebble: 'pebble',
  'pebble-challtestsrv': 'pebble',
  dig: 'bind9-dnsutils',
  curl: 'curl',
  openssl: 'openssl',
};

describeNeedingDebian(TOOLS)('deploy/scripts/setup-ssl.sh with a local ACME server', () => {
  let dir: string;
  let dns: Daemon;
  let pebble: Daemon;
  let nginx: RunningNginx;
  let env: NodeJS.ProcessEnv;
  let httpsPort: number;
  let pebbleRoot: string;
  let acmeDirectory: string;

  const runScript = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await promisify(execFile)('bash', [SCRIPT, ...args], {
        env,
        encoding: 'utf8',
        timeout: 180_000,
      });
      return { code: 0, output: `${stdout}${stderr}` };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
    }
  };

  beforeAll(async () => {
    ensureDebianPrograms(TOOLS);
    dir = tempDir('eff-setup-ssl-');
    const [httpPort, tlsPort, statusPort, dnsPort, dnsMgmt, acmePort, acmeMgmt, placeholder] =
      await Promise.all(Array.from({ length: 8 }, () => freePort()));
    httpsPort = tlsPort!;

    // pebble-challtestsrv as the DNS server pebble asks: every A query answers 127.0.0.1.
    dns = await daemon(
      'pebble-challtestsrv',
      [
        '-dns01',
        `127.0.0.1:${dnsPort}`,
        '-http01',
        '',
        '-https01',
        '',
        '-tlsalpn01',
        '',
        '-management',
        `127.0.0.1:${dnsMgmt}`,
        '-defaultIPv6',
        '',
      ],
      {},
      dnsMgmt!,
    );

    // pebble with its own TLS certificate from a throwaway CA (certbot trusts it via REQUESTS_CA_BUNDLE).
    const pki = makeCertificate(path.join(dir, 'pebble-pki'), ['localhost'], ['127.0.0.1']);
    const pebbleConfig = path.join(dir, 'pebble.json');
    writeFileSync(
      pebbleConfig,
      JSON.stringify({
        pebble: {
          listenAddress: `127.0.0.1:${acmePort}`,
          managementListenAddress: `127.0.0.1:${acmeMgmt}`,
          certificate: pki.cert,
          privateKey: pki.key,
          httpPort,
          tlsPort: await freePort(),
          ocspResponderURL: '',
          externalAccountBindingRequired: false,
        },
      }),
    );
    pebble = await daemon(
      'pebble',
      ['-config', pebbleConfig, '-dnsserver', `127.0.0.1:${dnsPort}`],
      { PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' },
      acmePort!,
    );
    acmeDirectory = `https://127.0.0.1:${acmePort}/dir`;
    pebbleRoot = path.join(dir, 'pebble-root.pem');
    const root = curl(['--cacert', pki.caCert, `https://127.0.0.1:${acmeMgmt}/roots/0`]);
    expect(root.status).toBe(200);
    writeFileSync(pebbleRoot, root.body);

    // A private Nginx whose sites-enabled folder the script manages; a placeholder site keeps it listening.
    mkdirSync(path.join(dir, 'sites-enabled'), { recursive: true });
    mkdirSync(path.join(dir, 'extra'), { recursive: true });
    writeFileSync(
      path.join(dir, 'extra/placeholder.conf'),
      `server { listen 127.0.0.1:${placeholder}; return 204; }\n`,
    );
    const conf = mainConfig(
      dir,
      path.join(dir, 'extra/*.conf'),
      path.join(dir, 'sites-enabled/*.conf'),
    );
    nginx = await startNginx(conf, dir, placeholder!);
    const nginxCmd = `${nginxBinary()} -c ${conf} -p ${dir} -e ${dir}/logs/main-error.log`;

    const upstream = await freePort(); // nothing listens: the script verifies TLS, the API may be down
    env = {
      ...process.env,
      PATH: SBIN_PATH,
      REQUESTS_CA_BUNDLE: pki.caCert,
      NGINX_SITES_DIR: path.join(dir, 'sites-available'),
      NGINX_ENABLED_DIR: path.join(dir, 'sites-enabled'),
      NGINX_MAIN_CONF: conf,
      NGINX_TEST_CMD: `${nginxCmd} -t`,
      NGINX_RELOAD_CMD: `${nginxCmd} -s reload`,
      NGINX_START_CMD: `${nginxCmd}`,
      CERTBOT_DIR: path.join(dir, 'letsencrypt'),
      SETUP_SSL_DNS_SERVER: `127.0.0.1:${dnsPort}`,
      SETUP_SSL_CONNECT_ADDR: '127.0.0.1',
      SETUP_SSL_VERIFY_CA: pebbleRoot,
      EFF_HTTP_LISTEN: `127.0.0.1:${httpPort}`,
      EFF_HTTPS_LISTEN: `127.0.0.1:${httpsPort}`,
      EFF_HTTPS_PORT_SUFFIX: `:${httpsPort}`,
      EFF_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
      EFF_LOG_DIR: path.join(dir, 'logs'),
      EFF_WEBROOT: path.join(dir, 'webroot'),
      EFF_UPSTREAM: `127.0.0.1:${upstream}`,
    };
  });

  afterAll(async () => {
    await nginx?.stop();
    await pebble?.stop();
    await dns?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses bad input with clear messages', async () => {
    const noDomain = await runScript('--email', 'ops@example.org');
    expect(noDomain.code).not.toBe(0);
    expect(noDomain.output).toContain('--domain is required');

    const notRoot = spawnSync(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        'bash',
        SCRIPT,
        '--domain',
        DOMAIN,
        '--email',
        'ops@example.org',
      ],
      { encoding: 'utf8', env },
    );
    expect(notRoot.status).not.toBe(0);
    expect(notRoot.stderr).toContain('run as root');

    // Port 80 of the domain not reaching this Nginx (here: probed through an address it does not listen on).
    const saved0 = env;
    env = { ...env, SETUP_SSL_CONNECT_ADDR: '127.0.0.2' };
    try {
      const closed = await runScript(
        '--domain',
        DOMAIN,
        '--email',
        'ops@example.org',
        '--server',
        acmeDirectory,
      );
      expect(closed.code).not.toBe(0);
      expect(closed.output).toMatch(
        /port \d+ of api\.test \(127\.0\.0\.2\) does not reach this Nginx/,
      );
    } finally {
      env = saved0;
    }

    const { SETUP_SSL_DNS_SERVER: _dns, ...withoutDns } = env;
    const saved = env;
    env = withoutDns;
    try {
      const noDns = await runScript(
        '--domain',
        'nothing-here.invalid',
        '--email',
        'ops@example.org',
      );
      expect(noDns.code).not.toBe(0);
      expect(noDns.output).toContain('no DNS record for nothing-here.invalid');
    } finally {
      env = saved;
    }
  });

  it('obtains a certificate over real HTTP-01, and Nginx serves it', async () => {
    const dry = await runScript('--domain', DOMAIN, '--server', acmeDirectory, '--dry-run');
    expect({ code: dry.code, output: dry.code === 0 ? '' : dry.output }).toEqual({
      code: 0,
      output: '',
    });
    expect(dry.output).toContain('dry run succeeded');

    const first = await runScript(
      '--domain',
      DOMAIN,
      '--email',
      'ops@example.org',
      '--server',
      acmeDirectory,
    );
    expect({ code: first.code, output: first.code === 0 ? '' : first.output }).toEqual({
      code: 0,
      output: '',
    });
    expect(first.output).toContain('HTTPS works');

    const res = curl([
      '--resolve',
      `${DOMAIN}:${httpsPort}:127.0.0.1`,
      '--cacert',
      pebbleRoot,
      '--http2',
      `https://${DOMAIN}:${httpsPort}/api/v1/health`,
    ]);
    // The API is not running here: Nginx answers its own 503 problem, over verified TLS and HTTP/2.
    expect(res.status).toBe(503);
    expect(res.httpVersion).toBe('2');
    expect(JSON.parse(res.text())).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(res.all('strict-transport-security')).toHaveLength(1);
    expect(
      existsSync(path.join(dir, 'letsencrypt/config/renewal-hooks/deploy/eff-reload-nginx.sh')),
    ).toBe(true);

    // Idempotent: a second run keeps the certificate and changes nothing else.
    const second = await runScript(
      '--domain',
      DOMAIN,
      '--email',
      'ops@example.org',
      '--server',
      acmeDirectory,
    );
    expect({ code: second.code, output: second.code === 0 ? '' : second.output }).toEqual({
      code: 0,
      output: '',
    });
    expect(second.output).toMatch(/not yet due for renewal|Keeping the existing certificate/i);
  });
});
