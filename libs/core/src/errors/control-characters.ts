import { HttpStatus } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';
import { AppException, FieldError } from './app-exception.js';
import { ErrorCode } from './error-code.js';
import { MULTILINE_TEXT } from './multiline-text.js';

/** C0 control characters and DEL: PostgreSQL refuses NUL, and none belongs in a name, code or search term. */
// eslint-disable-next-line no-control-regex
const ANY_CONTROL = /[\u0000-\u001F\u007F]/;
/** The same, but tab, line feed and carriage return pass: free text (addresses, notes, reasons). */
// eslint-disable-next-line no-control-regex
const CONTROL_BUT_LINES = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
// eslint-disable-next-line no-control-regex
const ALL_CONTROL = /[\u0000-\u001F\u007F]/g;

const MAX_DEPTH = 8;
export const CONTROL_CHARACTER_CODE = 'controlCharacters';

type Constructor = abstract new (...args: never[]) => unknown;

const multilineCache = new WeakMap<object, ReadonlySet<string>>();

function multilineFields(type: Constructor | undefined): ReadonlySet<string> {
  if (!type) return new Set();
  let fields = multilineCache.get(type);
  if (!fields) {
    fields = new Set(
      getMetadataStorage()
        .getTargetValidationMetadatas(type, '', true, false)
        .filter((m) => m.name === MULTILINE_TEXT)
        .map((m) => m.propertyName),
    );
    multilineCache.set(type, fields);
  }
  return fields;
}

function nestedType(type: Constructor | undefined, key: string): Constructor | undefined {
  if (!type) return undefined;
  const design: unknown = Reflect.getMetadata('design:type', type.prototype as object, key);
  return typeof design === 'function' && design !== Object && design !== Array
    ? (design as Constructor)
    : undefined;
}

/** Whether text holds a control character (tab, LF and CR allowed when multiline). */
export function hasControlCharacter(text: string, multiline = false): boolean {
  return (multiline ? CONTROL_BUT_LINES : ANY_CONTROL).test(text);
}

/** The text with every control character removed (for echoing a refused value, e.g. in an import report). */
export function withoutControlCharacters(text: string): string {
  return text.replace(ALL_CONTROL, '');
}

/**
 * Every string in value (an object, array or string, walked to MAX_DEPTH, keys too) that holds a control
 * character, as field errors named by path. Fields of `type` marked @AllowsMultilineText() may hold tab and
 * line breaks.
 */
export function controlCharacterErrors(
  value: unknown,
  field = '',
  type?: Constructor,
  multiline = false,
  depth = 0,
): FieldError[] {
  if (typeof value === 'string') {
    return hasControlCharacter(value, multiline)
      ? [
          {
            field: field || 'value',
            code: CONTROL_CHARACTER_CODE,
            message: `${field || 'value'} must not contain control characters${multiline ? ' other than tab and line breaks' : ''}`,
          },
        ]
      : [];
  }
  if (depth >= MAX_DEPTH || typeof value !== 'object' || value === null) return [];
  if (Array.isArray(value)) {
    return value.flatMap((item, i) =>
      controlCharacterErrors(item, `${field}[${i}]`, type, multiline, depth + 1),
    );
  }
  if (Buffer.isBuffer(value)) return [];
  const allowed = multilineFields(type);
  return Object.entries(value as Record<string, unknown>).flatMap(([key, item]) => {
    const path = field ? `${field}.${key}` : key;
    if (hasControlCharacter(key))
      return controlCharacterErrors(key, withoutControlCharacters(path));
    return controlCharacterErrors(item, path, nestedType(type, key), allowed.has(key), depth + 1);
  });
}

/** Throws the 400 VALIDATION_FAILED problem naming each field that holds a control character. */
export function assertNoControlCharacters(value: unknown, field = '', type?: Constructor): void {
  const errors = controlCharacterErrors(value, field, type);
  if (errors.length === 0) return;
  throw new AppException(
    HttpStatus.BAD_REQUEST,
    ErrorCode.ValidationFailed,
    errors.map((e) => e.message).join('; '),
    errors,
  );
}
