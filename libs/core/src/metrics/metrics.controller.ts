import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { AppException } from '../errors/app-exception.js';
import { ErrorCode } from '../errors/error-code.js';
import { Public } from '../http/public.decorator.js';
import { MetricsService } from './metrics.service.js';

/**
 * GET /metrics (outside /api/v1) in Prometheus text format, for peers in METRICS_ALLOW only. The peer is the
 * socket's address, never X-Forwarded-For; behind Nginx every request comes from loopback, so Nginx must deny
 * /metrics itself (deploy/nginx does, in any letter case). With METRICS_PORT set, metrics are served on that
 * port only (metrics-server.ts) and this route answers 404.
 */
@ApiExcludeController()
@Public()
@SkipThrottle()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  async scrape(@Req() req: Request, @Res() res: Response): Promise<void> {
    if (
      this.config.METRICS_PORT !== undefined ||
      !this.metrics.allowList.allows(req.socket.remoteAddress)
    ) {
      throw new AppException(404, ErrorCode.RouteNotFound, 'Cannot GET /metrics');
    }
    const body = await this.metrics.registry.metrics();
    res.setHeader('Cache-Control', 'no-store');
    res.type(this.metrics.registry.contentType).send(body);
  }
}
