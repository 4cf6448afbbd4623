// The Nginx site carries socket.io over WebSocket (Upgrade/Connection map, long read timeout) to whatever listens
// upstream: here a socket.io server with the gateway's contract (namespace /realtime, path /socket.io, token in
// auth), so the proxy part is tested on its own. nginx.e2e-spec.ts tests the real gateway once it is in the tree.
import { jest } from '@jest/globals';
import { createServer, Server as HttpServer } from 'node:http';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Server } from 'socket.io';
import { io } from 'socket.io-client';
import { describeNeedingDebian, ensureDebianPrograms } from '../harness/debian.js';
import {
  mainConfig,
  makeCertificate,
  renderSite,
  RunningNginx,
  startNginx,
  tempDir,
  TestCa,
} from '../harness/nginx.js';
import { freePort } from '../harness/test-app.js';

jest.setTimeout(60_000);

const TOOLS = { nginx: 'nginx', openssl: 'openssl' };

describeNeedingDebian(TOOLS)('socket.io through the Nginx site', () => {
  let dir: string;
  let http: HttpServer;
  let ioServer: Server;
  let nginx: RunningNginx;
  let ca: TestCa;
  let httpsPort: number;

  beforeAll(async () => {
    ensureDebianPrograms(TOOLS);
    dir = tempDir('eff-ws-');
    ca = makeCertificate(path.join(dir, 'pki'), ['api.test'], ['127.0.0.1']);
    const upstream = await freePort();
    http = createServer();
    // Short ping interval: pings must cross the proxy several times during the test.
    ioServer = new Server(http, {
      path: '/socket.io',
      transports: ['websocket'],
      pingInterval: 500,
      pingTimeout: 2000,
    });
    const nsp = ioServer.of('/realtime');
    nsp.use((socket, next) => {
      const token = (socket.handshake.auth as { token?: string }).token;
      next(token === 'good-token' ? undefined : new Error('unauthorized'));
    });
    nsp.on('connection', (socket) => {
      const headers = socket.handshake.headers;
      socket.emit('hello', { via: headers['x-forwarded-proto'], for: headers['x-forwarded-for'] });
    });
    await new Promise<void>((resolve) => http.listen(upstream, '127.0.0.1', resolve));

    httpsPort = await freePort();
    mkdirSync(path.join(dir, 'sites'), { recursive: true });
    writeFileSync(
      path.join(dir, 'sites/site.conf'),
      renderSite('api.test', {
        EFF_HTTP_LISTEN: `127.0.0.1:${await freePort()}`,
        EFF_HTTPS_LISTEN: `127.0.0.1:${httpsPort}`,
        EFF_STATUS_LISTEN: `127.0.0.1:${await freePort()}`,
        EFF_UPSTREAM: `127.0.0.1:${upstream}`,
        EFF_LOG_DIR: path.join(dir, 'logs'),
        EFF_WEBROOT: path.join(dir, 'webroot'),
        EFF_SSL_CERT: ca.cert,
        EFF_SSL_KEY: ca.key,
      }),
    );
    nginx = await startNginx(mainConfig(dir, path.join(dir, 'sites/*.conf')), dir, httpsPort);
  });

  afterAll(async () => {
    await nginx?.stop();
    await ioServer?.close();
    http?.closeAllConnections();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const connect = (token: string) =>
    io(`https://127.0.0.1:${httpsPort}/realtime`, {
      path: '/socket.io',
      transports: ['websocket'],
      auth: { token },
      ca: readFileSync(ca.caCert, 'utf8'),
      reconnection: false,
      timeout: 10_000,
      // A client-supplied address must not survive the proxy.
      extraHeaders: { 'X-Forwarded-For': '203.0.113.9' },
    });

  it('upgrades to WebSocket, delivers events and keeps the connection across pings', async () => {
    const socket = connect('good-token');
    try {
      const hello = await new Promise<unknown>((resolve, reject) => {
        socket.once('hello', resolve);
        socket.once('connect_error', reject);
      });
      expect(hello).toEqual({ via: 'https', for: '127.0.0.1' });
      expect(socket.io.engine.transport.name).toBe('websocket');
      let disconnected = false;
      socket.once('disconnect', () => (disconnected = true));
      await new Promise((r) => setTimeout(r, 2500));
      expect(disconnected).toBe(false);
      expect(socket.connected).toBe(true);
    } finally {
      socket.close();
    }
  });

  it('passes the handshake refusal through', async () => {
    const socket = connect('bad-token');
    try {
      const error = await new Promise<Error>((resolve) => socket.once('connect_error', resolve));
      expect(error.message).toBe('unauthorized');
    } finally {
      socket.close();
    }
  });
});
