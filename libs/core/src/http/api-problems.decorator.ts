import { applyDecorators, HttpStatus } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE } from '../errors/problem-details.filter.js';
import { ProblemDetailsDto } from '../errors/problem-details.dto.js';

const DESCRIPTIONS: Partial<Record<HttpStatus, string>> = {
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
        description: DESCRIPTIONS[status] ?? 'Error',
        content: problemContent(),
      }),
    ),
  );
}
