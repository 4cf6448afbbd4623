import { ArgumentMetadata, HttpStatus, ValidationError, ValidationPipe } from '@nestjs/common';
import { AppException, FieldError } from './app-exception.js';
import { assertNoControlCharacters } from './control-characters.js';
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

/**
 * The global pipe: first the control-character rule on the raw body, query and path parameters (before any
 * trimming transform), then class-validator.
 */
class AppValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'custom') {
      const type = metadata.metatype;
      assertNoControlCharacters(
        value,
        metadata.data ?? '',
        typeof type === 'function' && type !== Object && type !== String ? type : undefined,
      );
    }
    return super.transform(value, metadata);
  }
}

/** Whitelist, forbid unknown properties, transform; every failure becomes one VALIDATION_FAILED problem. */
export function createValidationPipe(): ValidationPipe {
  return new AppValidationPipe({
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
