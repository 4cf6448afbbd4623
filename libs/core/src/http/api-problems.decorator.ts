import { applyDecorators, HttpStatus } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE } from '../errors/problem-details.filter.js';
import { ProblemDetailsDto } from '../errors/problem-details.dto.js';
import { ErrorCode } from '../errors/error-code.js';

export const PROBLEM_DESCRIPTIONS: Partial<Record<HttpStatus, string>> = {
  [HttpStatus.BAD_REQUEST]: 'Invalid input (problem details with per-field errors)',
  [HttpStatus.UNAUTHORIZED]: 'Missing, expired or invalid access token',
  [HttpStatus.FORBIDDEN]:
    'Authenticated but not allowed (FORBIDDEN), or PASSWORD_CHANGE_REQUIRED: the session comes from a password an ' +
    'administrator reset and may only change it (POST /api/v1/auth/change-password), then sign in again',
  [HttpStatus.NOT_FOUND]: 'Not found (or outside your scope)',
  [HttpStatus.CONFLICT]: 'Conflicts with the current state',
  [HttpStatus.PAYLOAD_TOO_LARGE]: 'Request body too large',
  [HttpStatus.UNPROCESSABLE_ENTITY]:
    'Well-formed but refused content (e.g. an archive compressed too far)',
  [HttpStatus.TOO_MANY_REQUESTS]: 'Rate limited; see Retry-After',
  [HttpStatus.SERVICE_UNAVAILABLE]: 'A dependency is unavailable; see Retry-After',
};

export function problemContent(): Record<string, { schema: { $ref: string } }> {
  return { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: getSchemaPath(ProblemDetailsDto) } } };
}

/** Documents the problem-details answers a route may give, beyond the defaults every route documents. */
export function ApiProblems(...statuses: HttpStatus[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemDetailsDto),
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: PROBLEM_DESCRIPTIONS[status] ?? 'Error',
        content: problemContent(),
      }),
    ),
  );
}

export const ERROR_CODES_KEY = 'eff:openapi:error-codes';

/** What a route answers per 4xx status: `{ 409: ['DUPLICATE_ID_NUMBER', ...] }`. */
export type RouteErrorCodes = Partial<Record<number, ErrorCode[]>>;

/**
 * The problem-details `code`s a route answers with one status, beyond the ones every route shares; written to the
 * document as that answer's `x-error-codes` (and its description), so a client can switch on them. The answer is
 * declared too when no @ApiProblems did. E.g. `@ApiErrorCodes(HttpStatus.CONFLICT, ErrorCode.VersionConflict)`.
 */
export function ApiErrorCodes(status: HttpStatus, ...codes: ErrorCode[]): MethodDecorator {
  return (_target, _key, descriptor) => {
    const handler = descriptor.value as object;
    const known =
      (Reflect.getMetadata(ERROR_CODES_KEY, handler) as RouteErrorCodes | undefined) ?? {};
    Reflect.defineMetadata(ERROR_CODES_KEY, { ...known, [status]: codes }, handler);
    return descriptor;
  };
}
