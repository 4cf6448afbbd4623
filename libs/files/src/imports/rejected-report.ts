import type { Writable } from 'node:stream';
import type { DataSource } from 'typeorm';
import type { FileFormat } from '../file-format.js';
import { downloadHeaders, writeTable } from '../table-writer.js';
import type { ImportJob } from './import-job.entity.js';
import type { ImportKindRegistration } from './import-kind.js';
import type { RejectedRow } from './row-kind.js';

/** The rejected-rows report's first columns; the kind's reportColumns follow. */
const REPORT_COLUMNS = [
  { header: 'Row', width: 8 },
  { header: 'Duplicate', width: 10 },
  { header: 'Reasons', width: 80 },
];

/** A job's rejected rows in row order, a page at a time (the report streams them). */
export async function* rejectedRows(
  dataSource: DataSource,
  jobId: string,
): AsyncGenerator<RejectedRow> {
  let after = 0;
  for (;;) {
    const rows = await dataSource.query<
      { row_number: number; duplicate: boolean; reasons: string[]; fields: (string | null)[] }[]
    >(
      `SELECT row_number, duplicate, reasons, fields
       FROM import_rejections WHERE job_id = $1 AND row_number > $2 ORDER BY row_number LIMIT 5000`,
      [jobId, after],
    );
    for (const r of rows) {
      yield {
        rowNumber: r.row_number,
        duplicate: r.duplicate,
        reasons: r.reasons,
        fields: r.fields,
      };
    }
    const last = rows[rows.length - 1];
    if (!last || rows.length < 5000) return;
    after = last.row_number;
  }
}

/**
 * The one rejected-rows report writer, for every kind (CSV or XLSX, formula-safe, streamed): row number (header =
 * row 1), duplicate, reasons, then the kind's report columns. Sets the download headers when `out` is an HTTP
 * response. Resolves with the number of rows written.
 */
export async function writeRejectedReport(
  dataSource: DataSource,
  registration: Pick<ImportKindRegistration, 'reportColumns'>,
  job: Pick<ImportJob, 'id'>,
  format: FileFormat,
  out: Writable & { set?(headers: Record<string, string>): unknown },
): Promise<number> {
  out.set?.(downloadHeaders(format, `import-${job.id}-report`));
  const rejections = rejectedRows(dataSource, job.id);
  const width = registration.reportColumns.length;
  async function* rows(): AsyncGenerator<(string | null)[]> {
    for await (const r of rejections) {
      const fields = Array.from({ length: width }, (_, i) => r.fields[i] ?? null);
      yield [String(r.rowNumber), r.duplicate ? 'yes' : 'no', r.reasons.join('; '), ...fields];
    }
  }
  return writeTable(out, format, [...REPORT_COLUMNS, ...registration.reportColumns], rows());
}
