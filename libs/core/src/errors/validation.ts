import { HttpStatus, ValidationError, ValidationPipe } from '@nestjs/common';
import { AppException, FieldError } from './app-exception.js';
import { ErrorCode } from './error-code.js';

export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.entries(error.constraints ?? {}).map(([code, message]) => ({
      field,
      code: code === 'whitelistValidation' ? 'unknownProperty' : code,
      message: code === 'whitelistValidation' ? `property ${field} is not allowed` : message,
    }));
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

/** Whitelist, forbid unknown properties, transform; every failure becomes one VALIDATION_FAILED problem. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors: ValidationError[]) => {
      const fieldErrors = flattenValidationErrors(errors);
      const detail = fieldErrors.map((e) => e.message).join('; ') || 'The request is not valid';
      return new AppException(
        HttpStatus.BAD_REQUEST,
        ErrorCode.ValidationFailed,
        detail,
        fieldErrors,
      );
    },
  });
}
