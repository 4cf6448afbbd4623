import { HttpStatus } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { AppException, ErrorCode, FieldError } from '@app/core';

/** The unique index on members.id_number (migration Members1795561454521). */
export const ID_NUMBER_INDEX = 'IDX_5162bc470302e83f7c8516012f';

export function versionConflict(): AppException {
  return new AppException(
    HttpStatus.CONFLICT,
    ErrorCode.VersionConflict,
    'The member was changed since you read it; read it again and retry',
  );
}

/** An erased (anonymised) member keeps its placeholders: no edits, no status changes (e.g. reinstatement). */
export function memberErased(): AppException {
  return new AppException(
    HttpStatus.CONFLICT,
    ErrorCode.MemberErased,
    "The member's personal data was erased; it cannot be changed",
  );
}

/** The field errors of newMember() as one VALIDATION_FAILED problem, like the validation pipe's. */
export function invalidNewMember(errors: FieldError[]): AppException {
  return new AppException(
    HttpStatus.BAD_REQUEST,
    ErrorCode.ValidationFailed,
    errors.map((e) => e.message).join('; '),
    errors,
  );
}

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driver = error.driverError as { code?: string; constraint?: string } | undefined;
  return driver?.code === '23505' && (constraint === undefined || driver.constraint === constraint);
}

export function duplicateIdNumber(): AppException {
  return new AppException(
    HttpStatus.CONFLICT,
    ErrorCode.DuplicateIdNumber,
    'A member with this ID number already exists',
  );
}

/** The refusal createInTransaction throws for an ID number that is already a member (anywhere). */
export function isDuplicateIdNumber(error: unknown): boolean {
  return error instanceof AppException && error.code === ErrorCode.DuplicateIdNumber;
}
