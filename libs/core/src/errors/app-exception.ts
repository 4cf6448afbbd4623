import { HttpException, HttpStatus } from '@nestjs/common';
import { ErrorCode } from './error-code.js';

export interface FieldError {
  field: string;
  code: string;
  message: string;
}

/** The one exception our code throws for an expected failure; the filter turns it into problem details. */
export class AppException extends HttpException {
  constructor(
    status: HttpStatus,
    readonly code: ErrorCode,
    readonly detail: string,
    readonly fieldErrors?: FieldError[],
    readonly extensions?: Record<string, unknown>,
  ) {
    super(detail, status);
  }

  static notFound(what: string): AppException {
    return new AppException(HttpStatus.NOT_FOUND, ErrorCode.NotFound, `${what} was not found`);
  }

  static badRequest(detail: string, field?: string, code = 'invalid'): AppException {
    return new AppException(
      HttpStatus.BAD_REQUEST,
      ErrorCode.ValidationFailed,
      detail,
      field ? [{ field, code, message: detail }] : undefined,
    );
  }

  static forbidden(detail = 'You may not perform this action'): AppException {
    return new AppException(HttpStatus.FORBIDDEN, ErrorCode.Forbidden, detail);
  }

  static conflict(detail: string, extensions?: Record<string, unknown>): AppException {
    return new AppException(HttpStatus.CONFLICT, ErrorCode.Conflict, detail, undefined, extensions);
  }
}
