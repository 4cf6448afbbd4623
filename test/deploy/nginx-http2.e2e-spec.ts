// render.sh writes the HTTP/2 form the target Nginx wants: `http2 on;` from 1.25.1 (the compose file's image),
// `listen ... ssl http2;` before (Debian 12's 1.22), asking the installed nginx when not told.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describeNeedingDebian, ensureDebianPrograms } from '../harness/debian.js';
import {
  mainConfig,
  makeCertificate,
  nginxBinary,
  nginxTest,
  renderSite,
  RENDER,
  tempDir,
} from '../harness/nginx.js';

const DOMAIN = 'api.test';

function httpsServer(site: string): string {
  return site.slice(site.indexOf('# BEGIN TLS'));
}

describe('deploy/nginx/render.sh --nginx-version', () => {
  it('writes `listen … ssl;` and `http2 on;` for Nginx 1.25.1 and later', () => {
    for (const version of ['1.25.1', '1.27.3', '2.0']) {
      const tls = httpsServer(renderSite(DOMAIN, { EFF_NGINX_VERSION: version }));
      expect(tls).toMatch(/\n {4}listen 443 ssl;\n {4}http2 on;\n/);
      expect(tls).not.toContain('ssl http2');
    }
  });

  it('writes `listen … ssl http2;` and no `http2 on;` before 1.25.1', () => {
    for (const version of ['1.18.0', '1.22.1', '1.25.0']) {
      const tls = httpsServer(renderSite(DOMAIN, { EFF_NGINX_VERSION: version }));
      expect(tls).toMatch(/\n {4}listen 443 ssl http2;\n/);
      expect(tls).not.toContain('http2 on');
    }
  });

  it('refuses a version that is not one', () => {
    const result = spawnSync('bash', [RENDER, '--domain', DOMAIN, '--nginx-version', '1.x'], {
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--nginx-version must look like 1.22.1');
  });
});

const TOOLS = { nginx: 'nginx', openssl: 'openssl' };

describeNeedingDebian(TOOLS)("render.sh with Debian's Nginx", () => {
  let dir: string;

  beforeAll(() => {
    ensureDebianPrograms(TOOLS);
    dir = tempDir('eff-nginx-http2-');
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function check(site: string): { status: number | null; output: string } {
    const siteDir = path.join(dir, `site-${Math.random().toString(36).slice(2)}`);
    mkdirSync(path.join(siteDir, 'sites'), { recursive: true });
    writeFileSync(path.join(siteDir, 'sites/site.conf'), site);
    return nginxTest(mainConfig(siteDir, path.join(siteDir, 'sites/*.conf')), siteDir);
  }

  function render(env: Record<string, string>): string {
    const ca = makeCertificate(path.join(dir, 'pki'), [DOMAIN]);
    return renderSite(DOMAIN, {
      EFF_HTTP_LISTEN: '127.0.0.1:1',
      EFF_HTTPS_LISTEN: '127.0.0.1:2',
      EFF_STATUS_LISTEN: '127.0.0.1:3',
      EFF_LOG_DIR: dir,
      EFF_WEBROOT: dir,
      EFF_SSL_CERT: ca.cert,
      EFF_SSL_KEY: ca.key,
      ...env,
    });
  }

  it("asks the installed nginx its version, and Debian's 1.22 loads that form", () => {
    const version = /nginx\/(\d+\.\d+\.\d+)/.exec(
      spawnSync(nginxBinary(), ['-v'], { encoding: 'utf8' }).stderr,
    )?.[1];
    expect(version).toBeDefined();
    const [major, minor, patch] = version!.split('.').map(Number) as [number, number, number];
    const modern = major * 1_000_000 + minor * 1_000 + patch >= 1_025_001;

    const site = render({});
    expect(site).toContain(modern ? 'http2 on;' : 'listen 127.0.0.1:2 ssl http2;');
    const result = check(site);
    expect(result.output).toContain('syntax is ok');
    expect(result.output).not.toContain('deprecated');
    expect(result.status).toBe(0);
  });

  it('the `http2 on;` form is what an Nginx older than 1.25.1 refuses', () => {
    const version = spawnSync(nginxBinary(), ['-v'], { encoding: 'utf8' }).stderr;
    if (!/nginx\/1\.(1\d|2[0-4])\./.test(version)) return;
    const result = check(render({ EFF_NGINX_VERSION: '1.27.3' }));
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('unknown directive "http2"');
  });
});
