import { createHmac } from 'node:crypto';
import { io, Socket } from 'socket.io-client';
import { RunningApp, TEST_JWT_SECRET } from './test-app.js';

export interface ConnectOptions {
  /** Sent as `auth: { token }` (default) or as an Authorization header (`via: 'header'`). */
  token?: string;
  via?: 'auth' | 'header';
  /** A browser-style Origin header. */
  origin?: string;
  transports?: ('websocket' | 'polling')[];
}

/** A socket.io client for an app's /realtime namespace (not yet connected: await connected()). */
export function realtimeSocket(app: RunningApp | string, options: ConnectOptions = {}): Socket {
  const base = typeof app === 'string' ? app : app.baseUrl;
  const headers: Record<string, string> = {};
  if (options.origin) headers.origin = options.origin;
  if (options.token && options.via === 'header') headers.authorization = `Bearer ${options.token}`;
  return io(`${base}/realtime`, {
    path: '/socket.io',
    transports: options.transports ?? ['websocket'],
    auth: options.token && options.via !== 'header' ? { token: options.token } : {},
    extraHeaders: headers,
    reconnection: false,
    forceNew: true,
    timeout: 5000,
  });
}

/** Resolves once the socket is connected; rejects with the server's reason when the connection is refused. */
export function connected(socket: Socket, timeoutMs = 5000): Promise<Socket> {
  return new Promise((resolve, reject) => {
    if (socket.connected) return resolve(socket);
    const timer = setTimeout(() => reject(new Error('no connection within timeout')), timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('connect_error', (error: Error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Connects and waits; the returned socket is connected. */
export function connectRealtime(
  app: RunningApp | string,
  options: ConnectOptions = {},
): Promise<Socket> {
  return connected(realtimeSocket(app, options));
}

/** The error a refused connection ends with (throws if the connection succeeds). */
export async function refusal(socket: Socket): Promise<Error> {
  try {
    await connected(socket);
  } catch (error) {
    socket.close();
    return error as Error;
  }
  socket.close();
  throw new Error('the connection was accepted');
}

/** The next `event` the socket receives, or a rejection after `timeoutMs`. */
export function nextEvent<T = unknown>(
  socket: Socket,
  event: string,
  timeoutMs = 3000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, handler);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const handler = (payload: T): void => {
      clearTimeout(timer);
      resolve(payload);
    };
    socket.once(event, handler);
  });
}

/** Resolves after `ms` if `event` did not arrive; rejects if it did. */
export function noEvent(socket: Socket, event: string, ms = 700): Promise<void> {
  return new Promise((resolve, reject) => {
    const handler = (payload: unknown): void => {
      clearTimeout(timer);
      reject(new Error(`unexpected ${event}: ${JSON.stringify(payload)}`));
    };
    const timer = setTimeout(() => {
      socket.off(event, handler);
      resolve();
    }, ms);
    socket.once(event, handler);
  });
}

/** Resolves with the disconnect reason, or rejects after `timeoutMs`. */
export function disconnection(socket: Socket, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    if (!socket.connected) return resolve('already disconnected');
    const timer = setTimeout(
      () => reject(new Error(`still connected after ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once('disconnect', (reason: string) => {
      clearTimeout(timer);
      resolve(reason);
    });
  });
}

function b64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

/** The claims of a JWT (unverified; for tests that re-sign a real token with changed claims). */
export function decodeJwt(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  if (!part) throw new Error('not a JWT');
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** An HS256 JWT signed with the tests' shared JWT_SECRET (e.g. a real token's claims with another `exp`). */
export function signJwt(claims: Record<string, unknown>, secret = TEST_JWT_SECRET): string {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  const signature = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${signature}`;
}
