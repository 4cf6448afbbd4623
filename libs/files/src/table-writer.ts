import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { stringify } from 'csv-stringify';
import { loadExcelJS } from './exceljs.js';

export type TableFormat = 'csv' | 'xlsx';

export interface TableColumn {
  header: string;
  width?: number;
}

const DOWNLOAD_TYPES: Record<TableFormat | 'pdf', string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pdf: 'application/pdf',
};

/** The headers every download needs: type, file name, no caching of personal data. */
export function downloadHeaders(
  format: TableFormat | 'pdf',
  baseName: string,
): Record<string, string> {
  return {
    'Content-Type': DOWNLOAD_TYPES[format],
    'Content-Disposition': `attachment; filename="${baseName}.${format}"`,
    'Cache-Control': 'no-store',
  };
}

const FORMULA_START = /^[=+\-@\t\r]/;
/** A plain number or a phone number (`-5`, `+27 82 123 4567`): starts with + or - but is no formula. */
const NUMBER_LIKE = /^[+-]?\d[\d ]*$/;

/**
 * Spreadsheet formula injection (OWASP "CSV injection"): a cell starting with = + - @, tab or CR is prefixed
 * with an apostrophe, so no spreadsheet evaluates it, unless the whole value is a plain or phone number.
 * Every table this API writes (exports, import template, rejection report), headers included, passes here.
 */
export function safeCell(value: string): string {
  return FORMULA_START.test(value) && !NUMBER_LIKE.test(value) ? `'${value}` : value;
}

/**
 * Streams rows as CSV (csv-stringify, honouring back-pressure) or XLSX (exceljs' streaming WorkbookWriter);
 * neither holds the table in memory. Resolves with the number of rows written.
 */
export async function writeTable(
  out: Writable,
  format: TableFormat,
  columns: readonly TableColumn[],
  rows: AsyncIterable<(string | null)[]>,
  /** Runs after the last row and before the response ends (e.g. the audit entry, so it is never missing). */
  beforeEnd?: (count: number) => Promise<void>,
): Promise<number> {
  let count = 0;
  if (format === 'csv') {
    const csv = stringify({ bom: true });
    csv.pipe(out);
    csv.write(columns.map((c) => safeCell(c.header)));
    for await (const row of rows) {
      count += 1;
      if (!csv.write(row.map((v) => safeCell(v ?? '')))) await once(csv, 'drain');
    }
    if (beforeEnd) await beforeEnd(count);
    csv.end();
    await once(out, 'finish');
    return count;
  }
  const { stream } = await loadExcelJS();
  const workbook = new stream.xlsx.WorkbookWriter({
    stream: out,
    useStyles: false,
    useSharedStrings: false,
  });
  const sheet = workbook.addWorksheet('Sheet1');
  sheet.columns = columns.map((c, i) => ({
    header: safeCell(c.header),
    key: `c${i}`,
    width: c.width ?? 18,
  }));
  for await (const row of rows) {
    count += 1;
    // exceljs writes a string as a string cell, never a formula.
    sheet.addRow(row.map((v) => (v === null ? null : safeCell(v)))).commit();
    if (count % 1000 === 0 && out.writableNeedDrain) await once(out, 'drain');
  }
  if (beforeEnd) await beforeEnd(count);
  sheet.commit();
  await workbook.commit();
  return count;
}
