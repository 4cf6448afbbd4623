// deploy/scripts/firewall.sh: the dry run prints the ufw commands; the real run is applied inside a private network
// and mount namespace (its own iptables and a copy of /etc/ufw), so the host's firewall is never touched.
import { jest } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ensureDebianPrograms, SBIN_PATH } from '../harness/debian.js';
import { REPO, tempDir } from '../harness/nginx.js';

jest.setTimeout(120_000);

const SCRIPT = path.join(REPO, 'deploy/scripts/firewall.sh');

describe('deploy/scripts/firewall.sh', () => {
  it('prints the ufw commands with --dry-run', () => {
    const out = execFileSync('bash', [SCRIPT, '--dry-run'], { encoding: 'utf8' });
    const lines = out.trim().split('\n');
    expect(lines).toEqual([
      'ufw default deny incoming',
      'ufw default allow outgoing',
      'ufw limit 22/tcp comment SSH',
      expect.stringMatching(/^ufw allow 80\/tcp comment /),
      expect.stringMatching(/^ufw allow 443\/tcp comment /),
      expect.stringMatching(/^ufw deny 5000\/tcp comment /),
      expect.stringMatching(/^ufw deny 5432\/tcp comment /),
      expect.stringMatching(/^ufw deny 6379\/tcp comment /),
      'ufw --force enable',
      'ufw status verbose',
    ]);
    const restricted = execFileSync(
      'bash',
      [SCRIPT, '--dry-run', '--ssh-port', '2222', '--ssh-from', '203.0.113.0/24'],
      { encoding: 'utf8' },
    );
    expect(restricted).toContain('ufw limit from 203.0.113.0/24 to any port 2222 proto tcp');
    expect(spawnSync('bash', [SCRIPT, '--ssh-port', 'x', '--dry-run']).status).toBe(2);
  });

  const canUnshare =
    process.getuid?.() === 0 && spawnSync('unshare', ['--net', '--mount', 'true']).status === 0;

  (canUnshare ? it : it.skip)(
    'applies the rules for real, idempotently, in a private namespace',
    () => {
      ensureDebianPrograms({ ufw: 'ufw', iptables: 'iptables' });
      const dir = tempDir('eff-ufw-');
      try {
        cpSync('/etc/ufw', path.join(dir, 'ufw'), { recursive: true });
        const script = [
          'set -e',
          `mount --bind ${dir}/ufw /etc/ufw`,
          `bash ${SCRIPT} > ${dir}/first.log 2>&1`,
          `bash ${SCRIPT} > ${dir}/second.log 2>&1`,
          'ufw status',
        ].join('\n');
        const result = spawnSync('unshare', ['--net', '--mount', 'bash', '-c', script], {
          encoding: 'utf8',
          env: { ...process.env, PATH: SBIN_PATH },
          timeout: 90_000,
        });
        const second = spawnSync('cat', [`${dir}/second.log`], { encoding: 'utf8' }).stdout;
        expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
        const status = result.stdout;
        expect(status).toContain('Status: active');
        expect(status).toMatch(/22\/tcp\s+LIMIT(?: IN)?\s+Anywhere/);
        expect(status).toMatch(/80\/tcp\s+ALLOW(?: IN)?\s+Anywhere/);
        expect(status).toMatch(/443\/tcp\s+ALLOW(?: IN)?\s+Anywhere/);
        for (const port of [5000, 5432, 6379]) {
          expect(status).toMatch(new RegExp(`${port}/tcp\\s+DENY(?: IN)?\\s+Anywhere`));
        }
        // The second run added nothing.
        expect(second).toContain('Skipping adding existing rule');
        expect(second).not.toContain('Rule added');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
