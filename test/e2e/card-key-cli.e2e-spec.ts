import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, RunningApp, startApp, TestDatabase } from '../harness/test-app.js';

const CLI = path.resolve(import.meta.dirname, '../../dist/apps/api/src/cli.js');

function cardKey(dir: string | null, kid: string) {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.CARD_KEYS_DIR;
  if (dir) env.CARD_KEYS_DIR = dir;
  return spawnSync(process.execPath, [CLI, 'card-key', '--kid', kid], { encoding: 'utf8', env });
}

/** `cli.js card-key` writes the key DevOps deploys (Compose: into the card-keys volume); the API signs with it. */
describe('cli.js card-key (e2e)', () => {
  let dir: string;
  let db: TestDatabase;
  let app: RunningApp | undefined;

  beforeAll(async () => {
    dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'eff-card-key-')), 'keys');
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await app?.stop();
    await db?.drop();
    rmSync(path.dirname(dir), { recursive: true, force: true });
  });

  it('writes a private key file once (0600), refuses bad kids, a repeat and a missing folder setting', async () => {
    const made = cardKey(dir, '2027-01');
    expect(made.status).toBe(0);
    expect(statSync(path.join(dir, '2027-01.pem')).mode & 0o777).toBe(0o600);
    const again = cardKey(dir, '2027-01');
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('already exists');
    expect(cardKey(dir, '../escape').status).toBe(2);
    expect(cardKey(null, '2027-02').status).toBe(2);

    app = await startApp(db, { CARD_KEYS_DIR: dir });
    const jwks = await app.http().get('/api/v1/cards/keys').expect(200);
    expect(jwks.body).toEqual({
      keys: [expect.objectContaining({ kid: '2027-01', kty: 'OKP', crv: 'Ed25519' })],
    });
  }, 120_000);
});
