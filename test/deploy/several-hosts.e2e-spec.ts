// Two API processes behind one real Nginx upstream (deploy/nginx rendered with EFF_UPSTREAM listing both): requests
// are spread over both, socket.io runs over WebSocket only (no sticky sessions), and a member event raised on one
// process reaches a socket that Nginx connected to the other (Redis adapter).
import { jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { io, Socket } from 'socket.io-client';
import { loginAsSuperAdmin } from '../harness/auth.js';
import { describeNeedingDebian, ensureDebianPrograms } from '../harness/debian.js';
import { sleep } from '../harness/load.js';
import { createMember } from '../harness/members.js';
import {
  curl,
  mainConfig,
  makeCertificate,
  renderSite,
  RunningNginx,
  startNginx,
  tempDir,
  TestCa,
} from '../harness/nginx.js';
import { nextEvent } from '../harness/realtime.js';
import {
  createTestDatabase,
  freePort,
  RunningApp,
  startApp,
  TestDatabase,
  testRedisUrl,
} from '../harness/test-app.js';

jest.setTimeout(120_000);

const DOMAIN = 'api.test';
const TOOLS = { nginx: 'nginx', curl: 'curl', openssl: 'openssl' };

async function connectedSockets(app: RunningApp): Promise<number> {
  const text = await (await fetch(`${app.baseUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('eff_realtime_connected_sockets '));
  return line ? Number(line.split(' ')[1]) : 0;
}

async function healthRequests(app: RunningApp): Promise<number> {
  const text = await (await fetch(`${app.baseUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('http_requests_total{') && l.includes('route="/api/v1/health"'))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

describeNeedingDebian(TOOLS)('several API hosts behind one Nginx upstream', () => {
  let dir: string;
  let ca: TestCa;
  let db: TestDatabase;
  let apps: RunningApp[];
  let nginx: RunningNginx;
  let httpsPort: number;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    ensureDebianPrograms(TOOLS);
    dir = tempDir('eff-hosts-');
    ca = makeCertificate(path.join(dir, 'pki'), [DOMAIN], ['127.0.0.1']);
    db = await createTestDatabase();
    const env = {
      REDIS_URL: testRedisUrl(),
      REDIS_KEY_PREFIX: `hosts-${randomBytes(3).toString('hex')}:`,
      // Without sticky sessions, polling's requests would land on either process: WebSocket only.
      REALTIME_TRANSPORTS: 'websocket',
      THROTTLE_LIMIT: '10000',
      AUTH_THROTTLE_LIMIT: '1000',
    };
    apps = await Promise.all([startApp(db, env), startApp(db, env)]);
    const [httpPort, statusPort] = [await freePort(), await freePort()];
    httpsPort = await freePort();
    mkdirSync(path.join(dir, 'sites'), { recursive: true });
    writeFileSync(
      path.join(dir, 'sites', `${DOMAIN}.conf`),
      renderSite(DOMAIN, {
        EFF_HTTP_LISTEN: `127.0.0.1:${httpPort}`,
        EFF_HTTPS_LISTEN: `127.0.0.1:${httpsPort}`,
        EFF_HTTPS_PORT_SUFFIX: `:${httpsPort}`,
        EFF_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
        EFF_UPSTREAM: apps.map((app) => `127.0.0.1:${app.port}`).join(','),
        EFF_LOG_DIR: path.join(dir, 'logs'),
        EFF_WEBROOT: path.join(dir, 'webroot'),
        EFF_SSL_CERT: ca.cert,
        EFF_SSL_KEY: ca.key,
      }),
    );
    nginx = await startNginx(mainConfig(dir, path.join(dir, 'sites/*.conf')), dir, httpsPort);
  }, 120_000);

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await nginx?.stop();
    await Promise.all((apps ?? []).map((app) => app.stop()));
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('renders one server line per upstream and spreads requests over both processes', async () => {
    const site = readFileSync(path.join(dir, 'sites', `${DOMAIN}.conf`), 'utf8');
    for (const app of apps) expect(site).toContain(`server 127.0.0.1:${app.port} `);
    const before = await Promise.all(apps.map(healthRequests));
    for (let i = 0; i < 8; i += 1) {
      const res = curl([
        '--resolve',
        `${DOMAIN}:${httpsPort}:127.0.0.1`,
        '--cacert',
        ca.caCert,
        `https://${DOMAIN}:${httpsPort}/api/v1/health`,
      ]);
      expect(res.status).toBe(200);
    }
    const after = await Promise.all(apps.map(healthRequests));
    expect(after[0]! - before[0]!).toBeGreaterThan(0);
    expect(after[1]! - before[1]!).toBeGreaterThan(0);
    expect(after[0]! - before[0]! + after[1]! - before[1]!).toBe(8);
  });

  it('refuses a long-polling handshake on every process (WebSocket only: no sticky sessions needed)', async () => {
    // Polling's later requests could land on the other process, which does not know the session id.
    for (let i = 0; i < 4; i += 1) {
      const res = curl([
        '--resolve',
        `${DOMAIN}:${httpsPort}:127.0.0.1`,
        '--cacert',
        ca.caCert,
        `https://${DOMAIN}:${httpsPort}/socket.io/?EIO=4&transport=polling`,
      ]);
      expect([res.status, res.text()]).toEqual([400, expect.stringContaining('Transport unknown')]);
    }
  });

  it('delivers a member event raised on one process to a socket Nginx connected to the other', async () => {
    const admin = await loginAsSuperAdmin(apps[0]!);
    const socket = io(`https://127.0.0.1:${httpsPort}/realtime`, {
      path: '/socket.io',
      transports: ['websocket'],
      auth: { token: admin.accessToken },
      ca: readFileSync(ca.caCert, 'utf8'),
      reconnection: false,
      forceNew: true,
      timeout: 10_000,
    });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    expect(socket.io.engine.transport.name).toBe('websocket');
    // Which process did Nginx hand the socket to?
    let counts = [0, 0];
    for (let i = 0; i < 50 && counts[0]! + counts[1]! !== 1; i += 1) {
      counts = await Promise.all(apps.map(connectedSockets));
      await sleep(100);
    }
    expect(counts.sort()).toEqual([0, 1]);
    const holder = (await connectedSockets(apps[0]!)) === 1 ? 0 : 1;
    const other = apps[1 - holder]!;
    const event = nextEvent<{ data?: { memberId?: string } }>(socket, 'member.created', 10_000);
    const member = await createMember(other, admin);
    expect(await event).toMatchObject({ type: 'member.created', data: { memberId: member.id } });
  });
});
