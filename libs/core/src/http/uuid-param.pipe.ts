import { ParseUUIDPipe } from '@nestjs/common';
import { AppException } from '../errors/app-exception.js';

/** `@Param('id', UuidParam)`: a malformed id is a 400 problem, not a database error. */
export const UuidParam = new ParseUUIDPipe({
  exceptionFactory: () => AppException.badRequest('id must be a UUID', 'id', 'isUuid'),
});
