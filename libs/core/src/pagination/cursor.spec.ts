import { AppException } from '../errors/app-exception.js';
import { decodeCreatedAtCursor, decodeCursor, encodeCursor, toPage } from './cursor.js';

describe('cursor pagination', () => {
  it('round-trips values', () => {
    expect(decodeCursor(encodeCursor(['Zulu', 42, null]), 3)).toEqual(['Zulu', 42, null]);
  });

  it.each([
    'not a cursor!',
    encodeCursor(['a']),
    Buffer.from('{"a":1}').toString('base64url'),
    'e30',
  ])('rejects %s as INVALID_CURSOR', (cursor) => {
    expect(() => decodeCursor(cursor, 2)).toThrow(AppException);
  });

  it('builds a page from limit + 1 rows', () => {
    const page = toPage([{ id: 1 }, { id: 2 }, { id: 3 }], 2, (r) => [r.id]);
    expect(page.data).toEqual([{ id: 1 }, { id: 2 }]);
    expect(decodeCursor(page.nextCursor as string, 1)).toEqual([2]);
    expect(toPage([{ id: 1 }], 2, (r) => [r.id]).nextCursor).toBeNull();
  });

  it('reads a (created_at, id) cursor only when it holds a timestamp and a UUID', () => {
    const id = '3f2b6c1e-8d4a-4b7e-9c2d-1a2b3c4d5e6f';
    const at = '2026-01-02T03:04:05.123456';
    expect(decodeCreatedAtCursor(encodeCursor([at, id]))).toEqual({ at, id });
    expect(decodeCreatedAtCursor(encodeCursor(['2026-01-02', id]))).toBeNull();
    expect(decodeCreatedAtCursor(encodeCursor([at, 'not-a-uuid']))).toBeNull();
    expect(decodeCreatedAtCursor(encodeCursor([at, 7]))).toBeNull();
    expect(() => decodeCreatedAtCursor('not a cursor!')).toThrow(AppException);
  });
});
