import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { parse } from 'csv-parse';
import ExcelJS from 'exceljs';
import { ImportFormat } from './import-job.entity.js';

/** One row of a spreadsheet: its row number (the header is row 1) and its cells as text. */
export interface SheetRow {
  rowNumber: number;
  cells: string[];
}

export class UnreadableFileError extends Error {}

const ZIP_LOCAL = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const ZIP_END = Buffer.from([0x50, 0x4b, 0x05, 0x06]);

/**
 * What the uploaded file is, from its bytes (never from its name or the client's content type): an XLSX (a
 * complete zip archive), a CSV (text), or null for anything else. A zip without its end record is truncated.
 */
export async function sniffFormat(
  path: string,
  size: number,
): Promise<ImportFormat | 'truncated' | null> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(Math.min(size, 8192));
    await handle.read(head, 0, head.length, 0);
    if (head.subarray(0, 4).equals(ZIP_LOCAL)) {
      const tailLength = Math.min(size, 65_557);
      const tail = Buffer.alloc(tailLength);
      await handle.read(tail, 0, tailLength, size - tailLength);
      return tail.lastIndexOf(ZIP_END) >= 0 ? ImportFormat.Xlsx : 'truncated';
    }
    if (head.length === 0 || head.includes(0)) return null;
    // Text: valid UTF-8 apart from a character cut at the end of the sample.
    const text = new TextDecoder('utf-8', { fatal: false }).decode(head);
    const bad = (text.match(/\uFFFD/g) ?? []).length;
    return bad <= 1 ? ImportFormat.Csv : null;
  } finally {
    await handle.close();
  }
}

function guessDelimiter(firstLine: string): string {
  const counts = [',', ';', '\t'].map((d) => [d, firstLine.split(d).length - 1] as const);
  counts.sort((a, b) => b[1] - a[1]);
  return counts[0]?.[0] ?? ',';
}

async function firstLine(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(8192);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).toString('utf8').split(/\r?\n/)[0] ?? '';
  } finally {
    await handle.close();
  }
}

async function* csvRows(path: string): AsyncGenerator<SheetRow> {
  const delimiter = guessDelimiter(await firstLine(path));
  const parser = createReadStream(path).pipe(
    parse({
      bom: true,
      delimiter,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
    }),
  );
  let rowNumber = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      rowNumber += 1;
      yield { rowNumber, cells: record };
    }
  } catch (error) {
    throw new UnreadableFileError(
      `The CSV file could not be read after row ${rowNumber}: ${(error as Error).message}`,
    );
  }
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** A cell's value as the text a CSV would hold; dates as YYYY-MM-DD. */
export function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) {
    return `${value.getUTCFullYear()}-${pad(value.getUTCMonth() + 1)}-${pad(value.getUTCDate())}`;
  }
  if (typeof value === 'number') return Number.isInteger(value) ? value.toFixed(0) : String(value);
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if ('richText' in value)
    return value.richText
      .map((part) => part.text)
      .join('')
      .trim();
  if ('text' in value && typeof value.text === 'string') return value.text.trim();
  if ('result' in value) return cellText(value.result ?? null);
  return '';
}

async function* xlsxRows(path: string): AsyncGenerator<SheetRow> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookReader(path, {
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    styles: 'cache',
    worksheets: 'emit',
    entries: 'emit',
  });
  let lastRow = 0;
  try {
    for await (const worksheet of workbook) {
      for await (const row of worksheet) {
        const values = Array.isArray(row.values) ? row.values : [];
        // ExcelJS rows are 1-based and sparse.
        const cells: string[] = [];
        for (let i = 1; i < values.length; i += 1) cells.push(cellText(values[i] ?? null));
        if (cells.every((c) => c === '')) continue;
        lastRow = row.number;
        yield { rowNumber: row.number, cells };
      }
      break; // the first worksheet only
    }
  } catch (error) {
    throw new UnreadableFileError(
      `The spreadsheet could not be read after row ${lastRow}: ${(error as Error).message}`,
    );
  }
}

/** Streams the rows of an uploaded file; the whole file is never held in memory. */
export function readRows(path: string, format: ImportFormat): AsyncGenerator<SheetRow> {
  return format === ImportFormat.Xlsx ? xlsxRows(path) : csvRows(path);
}
