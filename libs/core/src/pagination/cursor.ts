import { HttpStatus, Type } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type as TransformType } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { AppException } from '../errors/app-exception.js';
import { ErrorCode } from '../errors/error-code.js';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 25;

/** Query parameters shared by every list: keyset pagination. */
export class CursorQueryDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_PAGE_SIZE,
    default: DEFAULT_PAGE_SIZE,
  })
  @IsOptional()
  @TransformType(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit: number = DEFAULT_PAGE_SIZE;

  @ApiPropertyOptional({ description: 'Opaque cursor from a previous page’s nextCursor' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  cursor?: string;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** Sort-key values of the last row of a page; strings, numbers or null only. */
export type CursorValues = (string | number | null)[];

export function encodeCursor(values: CursorValues): string {
  return Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');
}

/** A UUID as the cursors of the lists carry it (the tie-breaking id). */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A timestamp as the lists' cursors carry it: UTC, microseconds (to_char 'YYYY-MM-DD"T"HH24:MI:SS.US'). */
export const CURSOR_TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;

/** The 400 INVALID_CURSOR of a cursor this list did not make (malformed, or values of the wrong shape). */
export function invalidCursor(): AppException {
  return new AppException(
    HttpStatus.BAD_REQUEST,
    ErrorCode.InvalidCursor,
    'cursor is not a cursor returned by this list',
    [{ field: 'cursor', code: 'invalidCursor', message: 'cursor is not valid' }],
  );
}

/** Decodes a cursor made by encodeCursor with `arity` values; anything else is a 400 INVALID_CURSOR. */
export function decodeCursor(cursor: string, arity: number): CursorValues {
  const invalid = invalidCursor();
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== arity ||
    !parsed.every((v) => v === null || typeof v === 'string' || typeof v === 'number')
  ) {
    throw invalid;
  }
  return parsed as CursorValues;
}

/**
 * The (created_at, id) values of a cursor of a list ordered by creation time and id, or null when the cursor
 * decodes but does not hold such values. A cursor that does not decode at all is a 400 INVALID_CURSOR.
 */
export function decodeCreatedAtCursor(cursor: string): { at: string; id: string } | null {
  const [at, id] = decodeCursor(cursor, 2);
  return typeof at === 'string' &&
    CURSOR_TIMESTAMP_PATTERN.test(at) &&
    typeof id === 'string' &&
    UUID_PATTERN.test(id)
    ? { at, id }
    : null;
}

/** Builds a page from `limit + 1` fetched rows. */
export function toPage<T>(rows: T[], limit: number, cursorOf: (row: T) => CursorValues): Page<T> {
  const hasMore = rows.length > limit;
  const data = hasMore ? rows.slice(0, limit) : rows;
  const last = data[data.length - 1];
  return { data, nextCursor: hasMore && last !== undefined ? encodeCursor(cursorOf(last)) : null };
}

const pageClasses = new Map<Type, Type>();

/** A named OpenAPI schema `<Item>Page` with `data: Item[]` and `nextCursor`. */
export function PageOf<T>(item: Type<T>): Type<Page<T>> {
  const existing = pageClasses.get(item);
  if (existing) return existing as Type<Page<T>>;
  class PageDto implements Page<T> {
    @ApiProperty({ type: [item] })
    data!: T[];

    @ApiProperty({
      type: String,
      nullable: true,
      description: 'Pass as ?cursor= to get the next page; null on the last page',
    })
    nextCursor!: string | null;
  }
  Object.defineProperty(PageDto, 'name', { value: `${item.name.replace(/Dto$/, '')}Page` });
  pageClasses.set(item, PageDto);
  return PageDto;
}
