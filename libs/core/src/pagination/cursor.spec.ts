import { AppException } from '../errors/app-exception.js';
import { decodeCursor, encodeCursor, toPage } from './cursor.js';

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
});
