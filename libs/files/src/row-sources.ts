import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type ExcelJS from 'exceljs';
import { UnreadableFileError } from './file-errors.js';
import { FileFormat } from './file-format.js';
import {
  checkZipLimits,
  InflateBudget,
  openZipEntry,
  readZipDirectory,
  ZipLimitError,
  ZipLimits,
} from './zip-limits.js';
import { loadExcelJS } from './exceljs.js';

export { UnreadableFileError };

/** One row of a spreadsheet: its row number (the header is row 1) and its cells as text. */
export interface SheetRow {
  rowNumber: number;
  cells: string[];
}

const ZIP_LOCAL = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const ZIP_END = Buffer.from([0x50, 0x4b, 0x05, 0x06]);

/**
 * What the uploaded file is, from its bytes (never from its name or the client's content type): an XLSX (a
 * complete zip archive), a CSV (text), or null for anything else. A zip without its end record is truncated.
 */
export async function sniffFormat(
  path: string,
  size: number,
): Promise<FileFormat | 'truncated' | null> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(Math.min(size, 8192));
    await handle.read(head, 0, head.length, 0);
    if (head.subarray(0, 4).equals(ZIP_LOCAL)) {
      const tailLength = Math.min(size, 65_557);
      const tail = Buffer.alloc(tailLength);
      await handle.read(tail, 0, tailLength, size - tailLength);
      return tail.lastIndexOf(ZIP_END) >= 0 ? FileFormat.Xlsx : 'truncated';
    }
    if (head.length === 0 || head.includes(0)) return null;
    // Text: valid UTF-8 apart from a character cut at the end of the sample.
    const text = new TextDecoder('utf-8', { fatal: false }).decode(head);
    const bad = (text.match(/\uFFFD/g) ?? []).length;
    return bad <= 1 ? FileFormat.Csv : null;
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

/**
 * An XLSX's shared strings (sharedStrings.xml holds each distinct cell text once; cells refer to it by index),
 * packed as UTF-8 into one growing buffer. As an array of JS strings a 200,000-row register's 1.2 million strings
 * took ~95 MB of heap; packed they take about a quarter of that.
 */
export class SharedStrings {
  /** More text than a register of IMPORT_MAX_ROWS rows has; a zip bomb stops here. */
  static readonly MAX_BYTES = 96 * 1024 * 1024;
  private bytes = Buffer.allocUnsafe(1 << 20);
  private used = 0;
  private ends = new Uint32Array(1 << 16);
  private count = 0;

  /** Appends the next string (sharedStrings.xml lists them in index order). */
  push(text: string): void {
    const needed = this.used + Buffer.byteLength(text);
    if (needed > SharedStrings.MAX_BYTES) {
      throw new UnreadableFileError(
        `The spreadsheet holds more than ${SharedStrings.MAX_BYTES / 1024 / 1024} MB of text; split it or save it as CSV`,
      );
    }
    if (needed > this.bytes.length) {
      const grown = Buffer.allocUnsafe(
        Math.min(SharedStrings.MAX_BYTES, Math.max(needed, this.bytes.length * 2)),
      );
      this.bytes.copy(grown, 0, 0, this.used);
      this.bytes = grown;
    }
    this.used += this.bytes.write(text, this.used);
    if (this.count === this.ends.length) {
      const grown = new Uint32Array(this.ends.length * 2);
      grown.set(this.ends);
      this.ends = grown;
    }
    this.ends[this.count] = this.used;
    this.count += 1;
  }

  get(index: number): string {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) return '';
    return this.bytes.toString('utf8', index === 0 ? 0 : this.ends[index - 1], this.ends[index]);
  }
}

type RichText = { richText: { text: string }[] };
const joinRichText = (value: RichText): string => value.richText.map((part) => part.text).join('');

/** A cell's value as the text a CSV would hold; dates as YYYY-MM-DD. */
export function cellText(
  value: ExcelJS.CellValue | { sharedString: number },
  strings?: SharedStrings,
): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) {
    return `${value.getUTCFullYear()}-${pad(value.getUTCMonth() + 1)}-${pad(value.getUTCDate())}`;
  }
  if (typeof value === 'number') return Number.isInteger(value) ? value.toFixed(0) : String(value);
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if ('sharedString' in value) return strings?.get(value.sharedString).trim() ?? '';
  if ('richText' in value) return joinRichText(value).trim();
  if ('text' in value && typeof value.text === 'string') return value.text.trim();
  if ('result' in value) return cellText(value.result ?? null, strings);
  return '';
}

/**
 * The parts of exceljs's streaming WorkbookReader this reader drives itself (exceljs 4.4). Its own parse()
 * unzips the archive as one stream and writes every worksheet that comes before sharedStrings.xml (with
 * sharedStrings: 'emit', every worksheet) to a temp file first: a zip bomb fills the disk, and a register leaves
 * a decompressed copy behind. Here each part is inflated on demand from the archive on disk, in the order the
 * parse needs (relationships, workbook, styles, shared strings, then the worksheet), so nothing is written.
 */
interface WorkbookReaderParts {
  _parseRels(entry: Readable): Promise<void>;
  _parseWorkbook(entry: Readable): Promise<void>;
  _parseStyles(entry: Readable): Promise<void>;
  _parseSharedStrings(
    entry: Readable,
  ): AsyncIterable<{ index: number; text: string | RichText | null }>;
  _parseWorksheet(
    iterator: AsyncIterable<unknown>,
    sheetNo: string,
  ): Iterable<{ eventType: string; value: AsyncIterable<ExcelJS.Row> }>;
}

const WORKSHEET = /^xl\/worksheets\/sheet(\d+)\.xml$/;

async function* xlsxRows(path: string, limits: ZipLimits): AsyncGenerator<SheetRow> {
  const entries = await readZipDirectory(path);
  checkZipLimits(entries, limits);
  const sheet = entries.find((e) => WORKSHEET.test(e.name));
  if (!sheet) throw new UnreadableFileError('The spreadsheet has no worksheet');
  const part = (name: string) => entries.find((e) => e.name === name);
  const budget = new InflateBudget(limits.maxUncompressedBytes);
  const { stream } = await loadExcelJS();
  const workbook = new stream.xlsx.WorkbookReader(path, {
    sharedStrings: 'emit',
    hyperlinks: 'ignore',
    styles: 'cache',
    worksheets: 'emit',
    entries: 'emit',
  }) as unknown as WorkbookReaderParts;
  const strings = new SharedStrings();
  const open: Readable[] = [];
  const inflate = async (entry: NonNullable<ReturnType<typeof part>>): Promise<Readable> => {
    const readable = await openZipEntry(path, entry, budget);
    open.push(readable);
    return readable;
  };
  let lastRow = 0;
  try {
    const rels = part('xl/_rels/workbook.xml.rels');
    if (rels) await workbook._parseRels(await inflate(rels));
    const book = part('xl/workbook.xml');
    if (book) await workbook._parseWorkbook(await inflate(book));
    const styles = part('xl/styles.xml');
    if (styles) await workbook._parseStyles(await inflate(styles));
    const shared = part('xl/sharedStrings.xml');
    if (shared) {
      for await (const { text } of workbook._parseSharedStrings(await inflate(shared))) {
        strings.push(text === null ? '' : typeof text === 'string' ? text : joinRichText(text));
      }
    }
    const sheetNo = WORKSHEET.exec(sheet.name)?.[1] ?? '1';
    for (const item of workbook._parseWorksheet(await inflate(sheet), sheetNo)) {
      if (item.eventType !== 'worksheet') continue;
      for await (const row of item.value) {
        const values = Array.isArray(row.values) ? row.values : [];
        // ExcelJS rows are 1-based and sparse.
        const cells: string[] = [];
        for (let i = 1; i < values.length; i += 1) cells.push(cellText(values[i] ?? null, strings));
        if (cells.every((c) => c === '')) continue;
        lastRow = row.number;
        yield { rowNumber: row.number, cells };
      }
    }
  } catch (error) {
    if (error instanceof ZipLimitError) throw error;
    throw new UnreadableFileError(
      `The spreadsheet could not be read after row ${lastRow}: ${(error as Error).message}`,
    );
  } finally {
    for (const readable of open) readable.destroy();
  }
}

/**
 * Streams the rows of an uploaded file; the whole file is never held in memory, and an XLSX is never inflated
 * beyond the limits.
 */
export function readRows(
  path: string,
  format: FileFormat,
  limits: ZipLimits,
): AsyncGenerator<SheetRow> {
  return format === FileFormat.Xlsx ? xlsxRows(path, limits) : csvRows(path);
}
