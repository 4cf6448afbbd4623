import { readFileSync } from 'node:fs';
import path from 'node:path';

const README = readFileSync(path.resolve(import.meta.dirname, '../../deploy/README.md'), 'utf8');

/** The commands of the PM2 quick start's shell block, without comments. */
function quickStart(): string[] {
  const section = README.slice(README.indexOf('## Quick start: one Ubuntu 22.04 host with PM2'));
  const block = /```bash\n([\s\S]*?)\n```/.exec(section)?.[1];
  if (!block) throw new Error('no shell block in the PM2 quick start');
  return block
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line && !line.startsWith('#'));
}

describe('deploy/README.md PM2 quick start', () => {
  it('builds, migrates and runs PM2 as the unprivileged user, never as root', () => {
    const commands = quickStart();
    const asApp = commands.filter((c) => /\b(npm|pm2 (start|save|reload)|cli\.js)\b/.test(c));
    expect(asApp.length).toBeGreaterThanOrEqual(3);
    for (const command of asApp) expect(command).toMatch(/^su - eff -c '/);
  });

  it("installs the boot unit for that user (pm2-eff), not root's", () => {
    const commands = quickStart();
    expect(commands).toContainEqual(
      expect.stringMatching(/pm2 startup systemd -u eff --hp \/home\/eff/),
    );
    expect(commands).toContain('systemctl edit pm2-eff');
    expect(README).not.toMatch(/systemctl edit pm2-root/);
    expect(commands[0]).toMatch(/^adduser --system .* eff$/);
  });
});
