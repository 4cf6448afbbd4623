import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { FileFormat } from './file-format.js';
import { readRows, SharedStrings, SheetRow } from './row-sources.js';

describe('SharedStrings', () => {
  it('gives back every string by index, past its first buffer and index sizes, in any script', () => {
    const strings = new SharedStrings();
    const text = (i: number): string => `${i} Ñandú Ngwenya-Dlamini 🇿🇦 ${'x'.repeat(i % 40)}`;
    const count = 70_000; // over the 65,536 first index slots and the 1 MB first buffer
    for (let i = 0; i < count; i += 1) strings.push(text(i));
    for (const i of [0, 1, 65_535, 65_536, 40_000, count - 1]) expect(strings.get(i)).toBe(text(i));
    strings.push('');
    expect(strings.get(count)).toBe('');
    expect(strings.get(count + 1)).toBe('');
    expect(strings.get(-1)).toBe('');
  });
});

const LIMITS = { maxUncompressedBytes: 200 * 1024 * 1024, maxRatio: 100 };

describe('readRows (XLSX)', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(path.join(tmpdir(), 'rows-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function rowsOf(book: ExcelJS.Workbook): Promise<SheetRow[]> {
    const file = path.join(dir, `${Math.random().toString(36).slice(2)}.xlsx`);
    const buffer = Buffer.from(await book.xlsx.writeBuffer());
    // Excel's way of storing text, which these rows must be resolved through.
    expect(buffer.includes('xl/sharedStrings.xml')).toBe(true);
    writeFileSync(file, buffer);
    const rows: SheetRow[] = [];
    for await (const row of readRows(file, FileFormat.Xlsx, LIMITS)) rows.push(row);
    return rows;
  }

  it('resolves shared strings, rich text, dates, numbers and formula results as a CSV would hold them', async () => {
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet('Register');
    sheet.addRow(['ID Number', 'Surname', 'Joined On']);
    sheet.addRow([8001015009087, ' Mokoena ', new Date(Date.UTC(2024, 2, 1))]);
    sheet.addRow([
      { formula: '1+1', result: 2 },
      { richText: [{ text: 'Ma' }, { text: 'lema' }] },
      'Mokoena',
    ]);
    sheet.addRow([]);
    sheet.addRow(['', 'Shivambu', '2024-03-01']);
    expect(await rowsOf(book)).toEqual([
      { rowNumber: 1, cells: ['ID Number', 'Surname', 'Joined On'] },
      { rowNumber: 2, cells: ['8001015009087', 'Mokoena', '2024-03-01'] },
      { rowNumber: 3, cells: ['2', 'Malema', 'Mokoena'] },
      { rowNumber: 5, cells: ['', 'Shivambu', '2024-03-01'] },
    ]);
  });

  it('reads the first worksheet only', async () => {
    const book = new ExcelJS.Workbook();
    book.addWorksheet('First').addRow(['first']);
    book.addWorksheet('Second').addRow(['second']);
    expect(await rowsOf(book)).toEqual([{ rowNumber: 1, cells: ['first'] }]);
  });
});
