import { execFile, execFileSync, spawn, spawnSync, ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { programPath, SBIN_PATH } from './debian.js';

export const REPO = path.resolve(import.meta.dirname, '../..');
export const RENDER = path.join(REPO, 'deploy/nginx/render.sh');

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export interface TestCa {
  caCert: string;
  cert: string;
  key: string;
}

/** A throwaway CA and a certificate it signed for `domains` (first one is the subject). */
export function makeCertificate(dir: string, domains: string[], ips: string[] = []): TestCa {
  mkdirSync(dir, { recursive: true });
  const f = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=EFF deploy test CA',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    `/CN=${domains[0]}`,
    '-keyout',
    f('key.pem'),
    '-out',
    f('req.csr'),
  );
  const san = [...domains.map((d) => `DNS:${d}`), ...ips.map((ip) => `IP:${ip}`)].join(',');
  writeFileSync(f('ext.cnf'), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`);
  openssl(
    'x509',
    '-req',
    '-in',
    f('req.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    f('ext.cnf'),
    '-out',
    f('cert.pem'),
  );
  return { caCert: f('ca.pem'), cert: f('cert.pem'), key: f('key.pem') };
}

/** deploy/nginx/render.sh with EFF_* overrides. */
export function renderSite(domain: string, env: Record<string, string>, httpOnly = false): string {
  const args = [RENDER, '--domain', domain, ...(httpOnly ? ['--http-only'] : [])];
  return execFileSync('bash', args, { env: { ...process.env, ...env }, encoding: 'utf8' });
}

/** A main nginx.conf for a private Nginx: everything under `dir`, site files included from `sitesGlobs`. */
export function mainConfig(dir: string, ...sitesGlobs: string[]): string {
  for (const sub of ['tmp', 'logs']) mkdirSync(path.join(dir, sub), { recursive: true });
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `# private Nginx for a deploy test
user root;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/main-error.log warn;
events { worker_connections 512; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    access_log ${dir}/logs/main-access.log;
    client_body_temp_path ${dir}/tmp/body;
    proxy_temp_path ${dir}/tmp/proxy;
    fastcgi_temp_path ${dir}/tmp/fastcgi;
    uwsgi_temp_path ${dir}/tmp/uwsgi;
    scgi_temp_path ${dir}/tmp/scgi;
${sitesGlobs.map((g) => `    include ${g};\n`).join('')}}
`,
  );
  return conf;
}

export function nginxBinary(): string {
  const binary = programPath('nginx');
  if (!binary) throw new Error('nginx is not installed');
  return binary;
}

/** `nginx -t` on a main config; returns its exit status and output. */
export function nginxTest(conf: string, dir: string): { status: number | null; output: string } {
  const result = spawnSync(
    nginxBinary(),
    ['-t', '-c', conf, '-p', dir, '-e', `${dir}/logs/main-error.log`],
    {
      encoding: 'utf8',
      env: { ...process.env, PATH: SBIN_PATH },
    },
  );
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

export interface RunningNginx {
  process: ChildProcess;
  reload(): void;
  stop(): Promise<void>;
  errorLog(): string;
}

/** Starts a private Nginx in the foreground and waits until `port` accepts connections. */
export async function startNginx(conf: string, dir: string, port: number): Promise<RunningNginx> {
  const check = nginxTest(conf, dir);
  if (check.status !== 0) throw new Error(`nginx -t failed:\n${check.output}`);
  const child = spawn(
    nginxBinary(),
    ['-c', conf, '-p', dir, '-e', `${dir}/logs/main-error.log`, '-g', 'daemon off;'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!(await portOpen(port))) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nginx did not listen on ${port}: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    process: child,
    reload: () => child.kill('SIGHUP'),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGQUIT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
    errorLog: () => {
      try {
        return readFileSync(`${dir}/logs/main-error.log`, 'utf8');
      } catch {
        return '';
      }
    },
  };
}

export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface CurlResult {
  status: number;
  httpVersion: string;
  headers: [string, string][];
  body: Buffer;
  /** Every value of a header (case-insensitive). */
  all(name: string): string[];
  header(name: string): string | undefined;
  text(): string;
}

const CURL_FORMAT = ['-sS', '-D', '-', '-w', '\n%{http_code} %{http_version}'];

function parseCurl(out: string, body: Buffer): CurlResult {
  const lines = out.split(/\r?\n/);
  const [code, version] = (lines.pop() ?? '').split(' ');
  const headers: [string, string][] = [];
  for (const line of lines) {
    if (/^HTTP\//.test(line)) headers.length = 0;
    const match = /^([^:\s]+):\s*(.*)$/.exec(line);
    if (match) headers.push([match[1]!.toLowerCase(), match[2]!]);
  }
  const all = (name: string) => headers.filter(([n]) => n === name.toLowerCase()).map(([, v]) => v);
  return {
    status: Number(code),
    httpVersion: version ?? '',
    headers,
    body,
    all,
    header: (name) => all(name)[0],
    text: () => body.toString('utf8'),
  };
}

/** curl with its options; answers status, HTTP version, headers (of the last response) and body. */
export function curl(args: string[]): CurlResult {
  const dir = tempDir('eff-curl-');
  try {
    const bodyFile = path.join(dir, 'body');
    const out = execFileSync('curl', [...CURL_FORMAT, '-o', bodyFile, ...args], {
      encoding: 'utf8',
      maxBuffer: 10 * 1024 * 1024,
    });
    return parseCurl(out, readFileSync(bodyFile));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** curl without blocking the event loop, for concurrent requests. */
export async function curlAsync(args: string[]): Promise<CurlResult> {
  const dir = tempDir('eff-curl-');
  try {
    const bodyFile = path.join(dir, 'body');
    const { stdout } = await promisify(execFile)(
      'curl',
      [...CURL_FORMAT, '-o', bodyFile, ...args],
      { encoding: 'utf8', maxBuffer: 10 * 1024 * 1024 },
    );
    return parseCurl(stdout, readFileSync(bodyFile));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
