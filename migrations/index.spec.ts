import { readdirSync } from 'node:fs';
import path from 'node:path';
import { MIGRATIONS } from './index.js';

describe('migrations/index.ts', () => {
  it('lists every migration file, in timestamp order', () => {
    const files = readdirSync(import.meta.dirname)
      .filter((f) => /^\d+-\w+\.ts$/.test(f))
      .sort();
    const expected = files.map((f) => {
      const [timestamp, name] = path.basename(f, '.ts').split('-');
      return `${name}${timestamp}`;
    });
    expect(MIGRATIONS.map((m) => m.name)).toEqual(expected);
  });
});
