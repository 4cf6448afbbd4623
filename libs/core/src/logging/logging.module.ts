import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { pino } from 'pino';
import { AppConfig, NodeEnv } from '../config/app-config.js';
import { censorSensitive, errorForLog, maskDigits } from './redaction.js';

/** What the request serializer reads of Node's request (Express adds originalUrl). */
interface RawRequest {
  id?: unknown;
  method?: string;
  url?: string;
  originalUrl?: string;
  socket?: { remoteAddress?: string };
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The request's id: set once, by the first middleware, from a well-formed X-Request-Id or a new UUID. */
export function requestIdOf(req: IncomingMessage & { id?: unknown }, res: ServerResponse): string {
  if (typeof req.id === 'string') return req.id;
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('X-Request-Id', id);
  req.id = id;
  return id;
}

@Module({})
export class LoggingModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.NODE_ENV === NodeEnv.Test ? 'silent' : config.LOG_LEVEL,
            genReqId: requestIdOf,
            // Not pino's redact: its wildcard paths copy every log object (a third of all allocations under load).
            formatters: { log: censorSensitive, bindings: censorSensitive },
            autoLogging: {
              ignore: (req) => req.url === '/api/v1/health' || req.url === '/metrics',
            },
            customLogLevel: (_req, res, err) =>
              err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
            // The serializers get the raw objects (no pino-std-serializers copy of every header first) and keep
            // what the request line needs; nothing else of the request or response reaches it.
            wrapSerializers: false,
            serializers: {
              req: (req: RawRequest) => ({
                id: req.id,
                method: req.method,
                url: maskDigits(req.originalUrl ?? req.url ?? ''),
                remoteAddress: req.socket?.remoteAddress,
              }),
              res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
              // Serializers run after formatters.log: an error's own fields (e.g. a query's parameters, a
              // PostgreSQL error's detail) are censored here.
              err: (error: Error) => errorForLog(pino.stdSerializers.err(error)),
            },
          },
        }),
      ],
      exports: [LoggerModule],
    };
  }
}
