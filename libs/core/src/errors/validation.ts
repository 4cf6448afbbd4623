import { ArgumentMetadata, HttpStatus, ValidationError, ValidationPipe } from '@nestjs/common';
import type { ValidatorOptions } from 'class-validator';
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

/** How every input is validated: the global pipe's options, also for code that validates DTOs itself (import rows). */
export const VALIDATOR_OPTIONS: Readonly<ValidatorOptions> = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  stopAtFirstError: false,
  validationError: { target: false, value: false },
};

/** Whitelist, forbid unknown properties, transform; every failure becomes one VALIDATION_FAILED problem. */
export function createValidationPipe(): ValidationPipe {
  return new AppValidationPipe({
    ...VALIDATOR_OPTIONS,
    transform: true,
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
