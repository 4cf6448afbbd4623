// A bare socket.io server running the real RealtimeHub (from dist/) on a port, with the Redis adapter when
// REDIS_URL is set, so tests can connect real clients and publish on a real DomainEventBus without the API.
// Test-only: tokens here are base64url JSON identities, accepted as-is (the API verifies real JWTs).
// Parent → child IPC: { publish: event } publishes on the bus. Child → parent: { port } once listening.
import { Buffer } from 'node:buffer';
import { createServer } from 'node:http';
import path from 'node:path';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';

const root = path.resolve(import.meta.dirname, '../..');
const { RealtimeHub, REALTIME_NAMESPACE, REALTIME_PATH } = await import(
  path.join(root, 'dist/libs/realtime/src/index.js')
);
const { DomainEventBus } = await import(path.join(root, 'dist/libs/core/src/index.js'));

const http = createServer();
const io = new Server(http, { path: REALTIME_PATH, serveClient: false, transports: ['websocket'] });
const clients = [];
if (process.env.REDIS_URL) {
  const pub = new Redis(process.env.REDIS_URL);
  const sub = new Redis(process.env.REDIS_URL);
  clients.push(pub, sub);
  io.adapter(
    createAdapter(pub, sub, { key: `${process.env.REDIS_KEY_PREFIX ?? 'hub:'}socket.io` }),
  );
}
const nsp = io.of(REALTIME_NAMESPACE);
const hub = new RealtimeHub(nsp, async (token) =>
  JSON.parse(Buffer.from(token, 'base64url').toString('utf8')),
);
hub.attach();
const bus = new DomainEventBus();
bus.subscribe((event) => hub.dispatch(event));

process.on('message', (message) => {
  if (message && typeof message === 'object' && 'publish' in message) bus.publish(message.publish);
});
process.on('SIGTERM', () => {
  io.close();
  for (const client of clients) client.disconnect();
  process.exit(0);
});

http.listen(0, '127.0.0.1', () => {
  const address = http.address();
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
});
