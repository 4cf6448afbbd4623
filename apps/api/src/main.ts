import 'reflect-metadata';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import {
  AppConfig,
  ConfigError,
  configureApp,
  ExpressAppAdapter,
  HealthService,
  loadConfig,
  MetricsService,
  metricsPort,
  startMetricsServer,
} from '@app/core';
import { RealtimeIoAdapter } from '@app/realtime';
import { AppModule } from './app.module.js';
import { Database, ensureFirstAdmin, migrateAndSeed, openDatabase } from './database.js';

const say = (message: string): void => console.log(`[eff-membership-api] ${message}`);

const SHUTDOWN_EVENTS = ['SIGTERM', 'SIGINT', 'message'] as const;
type Listener = (...args: unknown[]) => void;

/**
 * Runs fn and answers a function removing the SIGTERM/SIGINT/PM2-message listeners fn added. The embedded
 * PostgreSQL package installs async-exit-hook, which on SIGTERM stops PostgreSQL at once and exits 143, under
 * the requests still being drained. Its hooks stay while the app starts (an early signal still stops
 * PostgreSQL); once shutdown() is installed, it owns those events and stops PostgreSQL itself, last.
 */
async function noteShutdownListeners<T>(fn: () => Promise<T>): Promise<[T, () => void]> {
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(SHUTDOWN_EVENTS.map((event) => [event, emitter.listeners(event)]));
  const result = await fn();
  const added = SHUTDOWN_EVENTS.flatMap((event) =>
    emitter
      .listeners(event)
      .filter((listener) => !before.get(event)?.includes(listener))
      .map((listener) => [event, listener as Listener] as const),
  );
  return [
    result,
    () => added.forEach(([event, listener]) => emitter.removeListener(event, listener)),
  ];
}

async function bootstrap(config: AppConfig): Promise<void> {
  const [database, removeForeignShutdownHooks]: [Database, () => void] =
    await noteShutdownListeners(() => openDatabase(config, say));
  const stopDatabase = async (): Promise<void> => {
    await database.embedded?.stop();
  };
  try {
    if (database.embedded) await migrateAndSeed(config, database.url, say);
    await ensureFirstAdmin(config, database.url, say);

    const app = await NestFactory.create<NestExpressApplication>(
      AppModule.forRoot(config, database.url),
      new ExpressAppAdapter(),
      {
        bufferLogs: true,
        bodyParser: false,
      },
    );
    configureApp(app, config);
    app.useWebSocketAdapter(new RealtimeIoAdapter(app));
    const traffic = trackTraffic(app.getHttpServer());
    await app.listen(config.PORT, config.HOST);

    const shown = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST;
    say(`API listening on http://${shown}:${config.PORT}/api/v1`);
    const ownMetricsPort = metricsPort(config, process.env.NODE_APP_INSTANCE);
    const metricsServer =
      ownMetricsPort === null
        ? null
        : await startMetricsServer(app.get(MetricsService), config.METRICS_HOST, ownMetricsPort);
    if (metricsServer) say(`Metrics on http://${config.METRICS_HOST}:${ownMetricsPort}/metrics`);
    if (config.SWAGGER_ENABLED) say(`Swagger UI at http://${shown}:${config.PORT}/docs`);
    process.send?.('ready');

    let closing = false;
    const shutdown = (signal: NodeJS.Signals): void => {
      if (closing) return;
      closing = true;
      say(`${signal} received: finishing in-flight requests`);
      app.get(HealthService).markShuttingDown();
      const deadline = setTimeout(() => {
        say('Shutdown took too long; exiting');
        process.exit(1);
      }, config.SHUTDOWN_TIMEOUT_MS);
      deadline.unref();
      metricsServer?.close();
      void drainHttp(app.getHttpServer(), traffic, Math.min(1000, config.SHUTDOWN_TIMEOUT_MS / 4))
        .then(() => app.close())
        .then(stopDatabase)
        .then(() => process.exit(0))
        .catch((error: unknown) => {
          console.error(error);
          process.exit(1);
        });
    };
    removeForeignShutdownHooks();
    process.on('SIGTERM', shutdown);
    process.on('SIGINT', shutdown);
    process.on('message', (message) => {
      if (message === 'shutdown') shutdown('SIGTERM');
    });
  } catch (error) {
    await stopDatabase();
    throw error;
  }
}

/** Counts requests between arrival and the end of their response, and open connections, for the drain. */
function trackTraffic(server: Server): Traffic {
  const traffic = { inFlight: 0, connections: 0 };
  server.on('connection', (socket: Socket) => {
    traffic.connections += 1;
    socket.once('close', () => (traffic.connections -= 1));
  });
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    traffic.inFlight += 1;
    res.once('close', () => (traffic.inFlight -= 1));
  });
  return traffic;
}

interface Traffic {
  readonly inFlight: number;
  readonly connections: number;
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

/**
 * Stops accepting connections (new ones are refused, so a proxy moves to another process) and waits for
 * in-flight requests. Keep-alive sockets are not cut at once: a request a client is sending on one right now
 * would be reset. Every response now carries `Connection: close` (configureApp), so busy sockets end after
 * their response; sockets still idle after `idleGraceMs` are closed. Only then do Nest's hooks close
 * sockets, pools and Redis.
 */
async function drainHttp(server: Server, traffic: Traffic, idleGraceMs: number): Promise<void> {
  // net.Server's close only: http.Server's would also drop idle keep-alive sockets immediately.
  NetServer.prototype.close.call(server);
  const graceEnd = Date.now() + idleGraceMs;
  while (traffic.inFlight > 0 || (traffic.connections > 0 && Date.now() < graceEnd)) await tick();
  server.closeIdleConnections();
  while (traffic.inFlight > 0) await tick();
}

let config: AppConfig;
try {
  config = loadConfig();
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
bootstrap(config).catch((error: unknown) => {
  console.error(
    `[eff-membership-api] failed to start: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
});
