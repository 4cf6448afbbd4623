import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiProperty,
  ApiServiceUnavailableResponse,
  ApiTags,
  getSchemaPath,
  ApiOperation,
} from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { Response } from 'express';
import { Public } from '../http/public.decorator.js';
import { DependencyStatus, HealthService } from './health.service.js';

class LivenessDto {
  @ApiProperty({ example: 'ok' })
  status!: string;
}

class ReadinessDto {
  @ApiProperty()
  ready!: boolean;

  @ApiProperty({
    enum: DependencyStatus,
    enumName: 'DependencyStatus',
    description: 'ok when every dependency is',
  })
  status!: DependencyStatus;

  @ApiProperty({
    type: 'object',
    description:
      'One entry per dependency (database, redis; shutdown while draining). Why one is unavailable is logged, never answered.',
    additionalProperties: { $ref: getSchemaPath('DependencyStatus') },
    example: { database: 'ok', redis: 'unavailable' },
  })
  checks!: Record<string, DependencyStatus>;
}

@ApiTags('health')
@Public()
@SkipThrottle()
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get()
  @ApiOkResponse({ type: LivenessDto, description: 'The process is up' })
  @ApiOperation({
    summary: 'Check liveness',
    description:
      'Answers 200 while the process runs; for restarts by an orchestrator. Needs no token and is not rate limited.',
  })
  liveness(): LivenessDto {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOkResponse({ type: ReadinessDto, description: 'Every dependency answers' })
  @ApiServiceUnavailableResponse({ type: ReadinessDto, description: 'A dependency is down' })
  @ApiOperation({
    summary: 'Check readiness',
    description:
      'Answers 200 when PostgreSQL and Redis answer, 503 (with Retry-After) otherwise or while shutting down; for load balancers.',
  })
  async readiness(@Res({ passthrough: true }) res: Response): Promise<ReadinessDto> {
    const report = await this.health.readiness();
    if (!report.ready) {
      res.status(HttpStatus.SERVICE_UNAVAILABLE);
      res.setHeader('Retry-After', '5');
    }
    return report;
  }
}
