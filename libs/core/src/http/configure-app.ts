import type { Server, ServerResponse } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import type { Request } from 'express';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { AppConfig } from '../config/app-config.js';
import { RequestContext } from '../context/request-context.js';
import { HealthService } from '../health/health.service.js';
import { requestIdOf } from '../logging/logging.module.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { buildOpenApiDocument } from './openapi.js';

export const API_PREFIX = 'api/v1';
const DOCS_PATH = 'docs';

/** /api/v1 on every route but /metrics; the OpenAPI generator (cli openapi) applies it too. */
export function applyGlobalPrefix(app: INestApplication): void {
  app.setGlobalPrefix(API_PREFIX, { exclude: ['metrics'] });
}

/** Everything main.ts and the tests both do to a freshly created app, in one place. */
export function configureApp(app: NestExpressApplication, config: AppConfig): void {
  app.set('trust proxy', config.TRUST_PROXY.length > 0 ? config.TRUST_PROXY : false);
  app.use(app.get(MetricsService).httpMiddleware());
  const health = app.get(HealthService);
  // While draining, answer what arrives but tell the client (or Nginx) not to reuse the connection, so
  // keep-alive sockets end after their current response and the process can exit.
  app.use((_req: Request, res: ServerResponse, next: () => void) => {
    if (health.isShuttingDown) res.setHeader('Connection', 'close');
    next();
  });
  app.use((req: Request, res: ServerResponse, next: () => void) => {
    const requestId = requestIdOf(req, res);
    RequestContext.run({ requestId, ip: req.ip ?? null, userId: null }, next);
  });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  app.useBodyParser('json', { limit: config.BODY_LIMIT });
  app.useBodyParser('urlencoded', { limit: config.BODY_LIMIT, extended: false });

  const apiHelmet = helmet({
    contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    crossOriginResourcePolicy: { policy: 'same-site' },
  });
  const docsHelmet = helmet({ contentSecurityPolicy: false });
  app.use((req: { path: string }, res: unknown, next: () => void) =>
    (req.path.startsWith(`/${DOCS_PATH}`) ? docsHelmet : apiHelmet)(
      req as never,
      res as never,
      next,
    ),
  );
  app.enableCors({
    origin: config.CORS_ORIGINS.length > 0 ? config.CORS_ORIGINS : false,
    methods: ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
    exposedHeaders: ['X-Request-Id', 'Retry-After', 'Content-Disposition'],
    maxAge: 600,
  });
  applyGlobalPrefix(app);

  if (config.SWAGGER_ENABLED) {
    SwaggerModule.setup(DOCS_PATH, app, () => buildOpenApiDocument(app), {
      jsonDocumentUrl: `${DOCS_PATH}-json`,
      customSiteTitle: 'EFF Membership API',
      swaggerOptions: { persistAuthorization: true },
    });
  }

  const server: Server = app.getHttpServer();
  // Longer than any proxy's upstream keepalive (Nginx: 60 s) so Node never closes a socket Nginx is reusing.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
}
