import 'reflect-metadata';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppConfig, ConfigError, configureApp, HealthService, loadConfig } from '@app/core';
import { RealtimeIoAdapter } from '@app/realtime';
import { AppModule } from './app.module.js';
import { Database, ensureFirstAdmin, migrateAndSeed, openDatabase } from './database.js';

const say = (message: string): void => console.log(`[eff-membership-api] ${message}`);

async function bootstrap(config: AppConfig): Promise<void> {
  const database: Database = await openDatabase(config, say);
  const stopDatabase = async (): Promise<void> => {
    await database.embedded?.stop();
  };
  try {
    if (database.embedded) await migrateAndSeed(config, database.url, say);
    await ensureFirstAdmin(config, database.url, say);

    const app = await NestFactory.create<NestExpressApplication>(
      AppModule.forRoot(config, database.url),
      {
        bufferLogs: true,
        bodyParser: false,
      },
    );
    configureApp(app, config);
    app.useWebSocketAdapter(new RealtimeIoAdapter(app));
    const inFlight = trackInFlight(app.getHttpServer());
    await app.listen(config.PORT, config.HOST);

    const shown = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST;
    say(`API listening on http://${shown}:${config.PORT}/api/v1`);
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
      void drainHttp(app.getHttpServer(), inFlight)
        .then(() => app.close())
        .then(stopDatabase)
        .then(() => process.exit(0))
        .catch((error: unknown) => {
          console.error(error);
          process.exit(1);
        });
    };
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

/** Counts requests between arrival and the end of their response, so shutdown knows when it may proceed. */
function trackInFlight(server: Server): { drained(): Promise<void> } {
  let inFlight = 0;
  let waiters: (() => void)[] = [];
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    inFlight += 1;
    res.once('close', () => {
      inFlight -= 1;
      if (inFlight === 0) {
        for (const wake of waiters) wake();
        waiters = [];
      }
    });
  });
  return {
    drained: () =>
      inFlight === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve)),
  };
}

/**
 * Stops accepting connections (new ones are refused, so a proxy moves to another process), closes idle
 * keep-alive sockets and waits for in-flight requests; their responses carry `Connection: close`
 * (configureApp), so busy sockets end after them. Only then do Nest's hooks close sockets, pools and Redis.
 */
async function drainHttp(server: Server, inFlight: { drained(): Promise<void> }): Promise<void> {
  server.close();
  server.closeIdleConnections();
  await inFlight.drained();
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
