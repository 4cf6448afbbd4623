import { applyDecorators, Get, HttpStatus, Post } from '@nestjs/common';
import type { Type } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse } from '@nestjs/swagger';
import { Permission, RequirePermission } from '@app/auth';
import {
  ApiErrorCodes,
  ApiFileResponse,
  ApiProblems,
  ErrorCode,
  FileMediaType,
  PageOf,
} from '@app/core';
import { UploadedFileBody } from './upload-cleanup.interceptor.js';

/*
 * The routes every import kind (member register, renewals, attendance register) offers, as decorator sets: the
 * route, its permission, its multipart body and what it answers. A controller adds its @ApiOperation (and any
 * answers of its own: @ApiProblems, @ApiErrorCodes) and its handler. `job` is the job's DTO (ImportJobDto).
 */

const TABLE_FILE = [FileMediaType.Csv, FileMediaType.Xlsx];

export interface ImportUploadRouteOptions {
  permission: Permission;
  /** The multipart form (a `file` part and the kind's options). */
  form: Type;
  job: Type;
  /** The 202 answer: a new job. */
  accepted?: string;
  /** The 200 answer: the same file uploaded again, its existing job. */
  existing: string;
  /** Codes of a 422 beyond COMPRESSION_RATIO_TOO_HIGH, listed before it. */
  unprocessable?: ErrorCode[];
}

/**
 * POST (on the controller's path): upload a file to import, through FileInterceptor('file') and
 * UploadCleanupInterceptor. Answers 202 with a new job or 200 with the existing one; 413 past IMPORT_MAX_BYTES or
 * IMPORT_MAX_UNCOMPRESSED_BYTES, 415 for a file that is neither CSV nor XLSX, 422 for an XLSX compressed too far.
 */
export function ImportUploadRoute({
  permission,
  form,
  job,
  accepted = 'A new import job; it runs in the background',
  existing,
  unprocessable = [],
}: ImportUploadRouteOptions): MethodDecorator {
  return applyDecorators(
    Post(),
    RequirePermission(permission),
    UploadedFileBody(form),
    ApiAcceptedResponse({ type: job, description: accepted }),
    ApiOkResponse({ type: job, description: existing }),
    ApiProblems(
      HttpStatus.BAD_REQUEST,
      HttpStatus.PAYLOAD_TOO_LARGE,
      HttpStatus.UNSUPPORTED_MEDIA_TYPE,
      HttpStatus.UNPROCESSABLE_ENTITY,
    ),
    ApiErrorCodes(
      HttpStatus.PAYLOAD_TOO_LARGE,
      ErrorCode.PayloadTooLarge,
      ErrorCode.UncompressedTooLarge,
    ),
    ApiErrorCodes(
      HttpStatus.UNPROCESSABLE_ENTITY,
      ...unprocessable,
      ErrorCode.CompressionRatioTooHigh,
    ),
  );
}

/** GET (on the controller's path): a keyset page of the kind's jobs. */
export function ImportListRoute(permission: Permission, job: Type): MethodDecorator {
  return applyDecorators(
    Get(),
    RequirePermission(permission),
    ApiOkResponse({ type: PageOf(job) }),
    ApiProblems(HttpStatus.BAD_REQUEST),
  );
}

/** GET template: the kind's template file (CSV or XLSX, by ?format). */
export function ImportTemplateRoute(permission: Permission, description: string): MethodDecorator {
  return applyDecorators(
    Get('template'),
    RequirePermission(permission),
    ApiFileResponse(TABLE_FILE, { description }),
    ApiProblems(HttpStatus.BAD_REQUEST),
  );
}

/** GET `path` (the job's id): one job, 404 outside the caller's area. */
export function ImportStatusRoute(
  permission: Permission,
  job: Type,
  path = ':id',
): MethodDecorator {
  return applyDecorators(
    Get(path),
    RequirePermission(permission),
    ApiOkResponse({ type: job }),
    ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND),
  );
}

/** POST `path`: resume a failed job after its last committed row (202); 409 once its file is gone. */
export function ImportRetryRoute(
  permission: Permission,
  job: Type,
  path = ':id/retry',
): MethodDecorator {
  return applyDecorators(
    Post(path),
    RequirePermission(permission),
    ApiAcceptedResponse({ type: job, description: 'Resumed after the last committed row' }),
    ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT),
  );
}

/** GET `path`: the job's rejected rows (CSV or XLSX, by ?format), 404 outside the caller's area. */
export function ImportReportRoute(
  permission: Permission,
  description: string,
  path = ':id/report',
): MethodDecorator {
  return applyDecorators(
    Get(path),
    RequirePermission(permission),
    ApiFileResponse(TABLE_FILE, { description }),
    ApiProblems(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND),
  );
}
