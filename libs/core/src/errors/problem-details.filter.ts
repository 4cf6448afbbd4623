import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
  Optional,
} from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { QueryFailedError } from 'typeorm';
import { AppException, FieldError } from './app-exception.js';
import { ERROR_TITLES, ErrorCode } from './error-code.js';
import { ProblemDetailsDto } from './problem-details.dto.js';
import { MetricsService } from '../metrics/metrics.service.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

interface Problem {
  status: number;
  code: ErrorCode;
  detail: string;
  errors?: FieldError[];
  extensions?: Record<string, unknown>;
  retryAfterSeconds?: number;
}

const STATUS_CODES: Partial<Record<number, ErrorCode>> = {
  400: ErrorCode.ValidationFailed,
  401: ErrorCode.Unauthenticated,
  403: ErrorCode.Forbidden,
  404: ErrorCode.NotFound,
  409: ErrorCode.Conflict,
  413: ErrorCode.PayloadTooLarge,
  415: ErrorCode.UnsupportedMediaType,
  429: ErrorCode.RateLimited,
  503: ErrorCode.ServiceUnavailable,
};

const BODY_PARSER_ERRORS: Record<string, Omit<Problem, 'detail'>> = {
  'entity.parse.failed': { status: 400, code: ErrorCode.MalformedJson },
  'entity.too.large': { status: 413, code: ErrorCode.PayloadTooLarge },
  'encoding.unsupported': { status: 415, code: ErrorCode.UnsupportedMediaType },
  'charset.unsupported': { status: 415, code: ErrorCode.UnsupportedMediaType },
  'request.aborted': { status: 400, code: ErrorCode.ValidationFailed },
};

const DATABASE_UNAVAILABLE = new Set([
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08003',
  '08006',
]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

export function isDatabaseUnavailable(error: unknown): boolean {
  if (!isRecord(error)) return false;
  const code = typeof error.code === 'string' ? error.code : '';
  const message = typeof error.message === 'string' ? error.message : '';
  return (
    DATABASE_UNAVAILABLE.has(code) ||
    // TypeORM releases a transaction's connection when the server drops it; the next query then fails so.
    error.name === 'QueryRunnerAlreadyReleasedError' ||
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes(code) ||
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
      message,
    )
  );
}

/** Turns every error, ours or the framework's, into one RFC 9457 body. Nothing else writes error responses. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  constructor(@Optional() private readonly metrics?: MetricsService) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return;
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const problem = this.toProblem(exception);

    if (problem.status >= 500 && problem.code === ErrorCode.InternalError) {
      this.logger.error(
        { err: exception, method: request.method, url: request.originalUrl },
        'Unhandled error',
      );
    }
    this.metrics?.recordProblem(problem.code, problem.status);
    if (response.headersSent) {
      response.end();
      return;
    }
    const body: ProblemDetailsDto & Record<string, unknown> = {
      type: `urn:eff:problem:${problem.code.toLowerCase().replace(/_/g, '-')}`,
      title: ERROR_TITLES[problem.code],
      status: problem.status,
      detail: problem.detail,
      code: problem.code,
      instance: request.originalUrl?.split('?')[0],
      requestId: typeof request.id === 'string' ? request.id : undefined,
      ...(problem.errors && problem.errors.length > 0 ? { errors: problem.errors } : {}),
      ...(problem.extensions ?? {}),
    };
    if (problem.retryAfterSeconds !== undefined && !response.getHeader('Retry-After')) {
      response.setHeader('Retry-After', String(problem.retryAfterSeconds));
    }
    response.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
  }

  private toProblem(exception: unknown): Problem {
    if (exception instanceof AppException) {
      return {
        status: exception.getStatus(),
        code: exception.code,
        detail: exception.detail,
        errors: exception.fieldErrors,
        extensions: exception.extensions,
        ...(typeof exception.extensions?.retryAfterSeconds === 'number'
          ? { retryAfterSeconds: exception.extensions.retryAfterSeconds }
          : {}),
      };
    }
    if (exception instanceof ThrottlerException) {
      return { status: 429, code: ErrorCode.RateLimited, detail: 'Too many requests; retry later' };
    }
    const parserError = this.bodyParserError(exception);
    if (parserError) return parserError;
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const message = this.httpExceptionMessage(exception);
      if (status === 404 && /^Cannot (GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /.test(message)) {
        return { status, code: ErrorCode.RouteNotFound, detail: message };
      }
      const code =
        STATUS_CODES[status] ??
        (status >= 500 ? ErrorCode.InternalError : ErrorCode.ValidationFailed);
      return { status, code, detail: status >= 500 ? ERROR_TITLES[code] : message };
    }
    if (exception instanceof QueryFailedError) {
      const code = (exception.driverError as { code?: string } | undefined)?.code;
      if (code === '23505')
        return {
          status: 409,
          code: ErrorCode.Conflict,
          detail: 'A conflicting record already exists',
        };
      if (code === '22P02' || code === '22007' || code === '22008')
        return {
          status: 400,
          code: ErrorCode.ValidationFailed,
          detail: 'A value has the wrong format',
        };
      if (code === '57014')
        return {
          status: 503,
          code: ErrorCode.ServiceUnavailable,
          detail: 'The database took too long to answer',
          retryAfterSeconds: 2,
        };
    }
    if (isDatabaseUnavailable(exception)) {
      return {
        status: HttpStatus.SERVICE_UNAVAILABLE,
        code: ErrorCode.ServiceUnavailable,
        detail: 'The database is unavailable; retry shortly',
        retryAfterSeconds: 5,
      };
    }
    return {
      status: 500,
      code: ErrorCode.InternalError,
      detail: ERROR_TITLES[ErrorCode.InternalError],
    };
  }

  /** body-parser's errors arrive wrapped by the Express adapter (as `cause`) or raw. */
  private bodyParserError(exception: unknown): Problem | null {
    const error = exception instanceof HttpException ? exception.cause : exception;
    if (!isRecord(error)) return null;
    if (error instanceof URIError) {
      return {
        status: 400,
        code: ErrorCode.ValidationFailed,
        detail: 'The URL is not correctly encoded',
      };
    }
    const known = typeof error.type === 'string' ? BODY_PARSER_ERRORS[error.type] : undefined;
    if (!known) return null;
    const details: Partial<Record<ErrorCode, string>> = {
      [ErrorCode.PayloadTooLarge]: 'The request body exceeds the size limit',
      [ErrorCode.MalformedJson]: 'The request body could not be parsed as JSON',
      [ErrorCode.UnsupportedMediaType]: 'The request body uses an unsupported encoding or charset',
    };
    return { ...known, detail: details[known.code] ?? 'The request body could not be read' };
  }

  private httpExceptionMessage(exception: HttpException): string {
    const response = exception.getResponse();
    if (typeof response === 'string') return response;
    if (isRecord(response)) {
      const message = response.message;
      if (Array.isArray(message)) return message.join('; ');
      if (typeof message === 'string') return message;
    }
    return exception.message;
  }
}
