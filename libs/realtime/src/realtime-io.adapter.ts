import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import { Server } from 'socket.io';
import type { ServerOptions } from 'socket.io';
import { APP_CONFIG, RedisService } from '@app/core';
import type { AppConfig } from '@app/core';
import { REALTIME_PATH } from './rooms.js';

type Transport = 'websocket' | 'polling';

/** A browser's Origin must be one of CORS_ORIGINS; clients that send none (apps, servers) are let through. */
export function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  return origin === undefined || allowed.includes(origin);
}

/**
 * A Redis connection whose PUBLISH never rejects: while Redis is down the adapter's fan-out to other
 * processes is lost (local sockets still get every event), and no unhandled rejection takes the process down.
 */
function forgivingPublisher(client: Redis): Redis {
  const publish = client.publish.bind(client) as (
    channel: string,
    message: unknown,
  ) => Promise<number>;
  (
    client as unknown as { publish: (channel: string, message: unknown) => Promise<number> }
  ).publish = (channel, message) => publish(channel, message).catch(() => 0);
  return client;
}

/**
 * socket.io for the whole app: path /socket.io, allowed origins from CORS_ORIGINS (checked on every handshake,
 * websocket included), message size capped, transports from REALTIME_TRANSPORTS, and with REDIS_URL the
 * Redis adapter, so rooms and disconnects span every process.
 */
export class RealtimeIoAdapter extends IoAdapter {
  private readonly config: AppConfig;
  private readonly redis: RedisService;
  private readonly connections: Redis[] = [];

  constructor(app: INestApplicationContext) {
    super(app);
    this.config = app.get<AppConfig>(APP_CONFIG);
    this.redis = app.get(RedisService);
  }

  /** Nest's IoAdapter types (its own pinned socket.io copy); ours is the app's socket.io, same runtime API. */
  override createIOServer(
    port: number,
    options?: Parameters<IoAdapter['createIOServer']>[1],
  ): ReturnType<IoAdapter['createIOServer']> {
    const allowed = this.config.CORS_ORIGINS;
    const settings: Partial<ServerOptions> = {
      ...(options as Partial<ServerOptions> | undefined),
      path: REALTIME_PATH,
      serveClient: false,
      maxHttpBufferSize: this.config.REALTIME_MAX_MESSAGE_BYTES,
      transports: this.config.REALTIME_TRANSPORTS as Transport[],
      cors: { origin: allowed.length > 0 ? [...allowed] : false, credentials: false },
      allowRequest: (req: IncomingMessage, callback: (err: string | null, ok: boolean) => void) =>
        callback(null, originAllowed(req.headers.origin, allowed)),
    };
    const server =
      this.httpServer && port === 0
        ? new Server(this.httpServer as HttpServer, settings)
        : new Server(port, settings);
    const pub = this.redis.duplicate('socket-pub');
    // The subscriber may queue its SUBSCRIBEs until Redis answers, and resubscribes after an outage.
    const sub = this.redis.duplicate('socket-sub', {
      enableOfflineQueue: true,
      commandTimeout: undefined,
      maxRetriesPerRequest: null,
    });
    if (pub && sub) {
      this.connections.push(pub, sub);
      server.adapter(
        createAdapter(forgivingPublisher(pub), sub, {
          key: `${this.redis.keyPrefix}socket.io`,
          requestsTimeout: 2000,
        }),
      );
    }
    return server as unknown as ReturnType<IoAdapter['createIOServer']>;
  }

  override async close(server: Parameters<IoAdapter['close']>[0]): Promise<void> {
    await super.close(server);
    await Promise.all(this.connections.map((c) => c.quit().catch(() => c.disconnect())));
  }
}
