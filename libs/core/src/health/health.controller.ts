import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import {
  ApiExtraModels,
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
import { HealthService } from './health.service.js';

class LivenessDto {
  @ApiProperty({ example: 'ok' })
  status!: string;
}

class CheckResultDto {
  @ApiProperty()
  ok!: boolean;

  @ApiProperty({ required: false })
  error?: string;
}

class ReadinessDto {
  @ApiProperty()
  ready!: boolean;

  @ApiProperty({
    type: 'object',
    description: 'One entry per dependency (database, redis)',
    additionalProperties: { $ref: getSchemaPath(CheckResultDto) },
  })
  checks!: Record<string, CheckResultDto>;
}

@ApiTags('health')
@ApiExtraModels(CheckResultDto)
@Public()
@SkipThrottle()
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get()
  @ApiOperation({ summary: 'Liveness: the process is up' })
  @ApiOkResponse({ type: LivenessDto, description: 'The process is up' })
  liveness(): LivenessDto {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: the database and Redis answer' })
  @ApiOkResponse({ type: ReadinessDto, description: 'Every dependency answers' })
  @ApiServiceUnavailableResponse({ type: ReadinessDto, description: 'A dependency is down' })
  async readiness(@Res({ passthrough: true }) res: Response): Promise<ReadinessDto> {
    const report = await this.health.readiness();
    if (!report.ready) {
      res.status(HttpStatus.SERVICE_UNAVAILABLE);
      res.setHeader('Retry-After', '5');
    }
    return report;
  }
}

export const HEALTH_EXTRA_MODELS = [CheckResultDto];
