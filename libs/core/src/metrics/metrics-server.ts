import http from 'node:http';
import type { AppConfig } from '../config/app-config.js';
import type { MetricsService } from './metrics.service.js';

const NOT_FOUND = `${JSON.stringify({
  type: 'about:blank',
  title: 'Not Found',
  status: 404,
  code: 'ROUTE_NOT_FOUND',
  detail: 'No route here.',
})}\n`;

/** The port this process serves metrics on: METRICS_PORT, plus the PM2 cluster worker's NODE_APP_INSTANCE. */
export function metricsPort(config: AppConfig, instance: string | undefined): number | null {
  if (config.METRICS_PORT === undefined) return null;
  const n = Number(instance);
  return config.METRICS_PORT + (Number.isInteger(n) && n > 0 ? n : 0);
}

/**
 * GET /metrics (exactly: case-sensitive, no trailing slash) on METRICS_HOST:port, for peers in METRICS_ALLOW;
 * everything else is a 404 problem. Nothing else of the API is reachable here.
 */
export async function startMetricsServer(
  metrics: MetricsService,
  host: string,
  port: number,
): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const allowed =
      (req.method === 'GET' || req.method === 'HEAD') &&
      path === '/metrics' &&
      metrics.allowList.allows(req.socket.remoteAddress);
    if (!allowed) {
      res.writeHead(404, { 'Content-Type': 'application/problem+json' }).end(NOT_FOUND);
      return;
    }
    metrics.registry.metrics().then(
      (body) => {
        res.writeHead(200, {
          'Content-Type': metrics.registry.contentType,
          'Cache-Control': 'no-store',
        });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
