// A second row kind, registered by this spec only, runs through the same import engine as the member register:
// the same queue, runner, worker thread (which loads only this kind's module), batch transactions, resumption
// and rejected-rows report. The kind is plain ESM written to a temporary directory, as a module's compiled
// `*.worker.js` would be.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions, loadConfig, projectPath } from '@app/core';
import type { AuditEntry } from '@app/core';
import {
  FileFormat,
  IMPORT_ENTITIES,
  ImportEngine,
  ImportJob,
  ImportKindRegistry,
  ImportMode,
  ImportStatus,
  writeRejectedReport,
} from '@app/files';
import { createTestDatabase, TestDatabase } from '../harness/test-app.js';

const KIND = 'test-attendance';

/** The kind's worker module: columns, a pure per-row check, and a batch writer over the worker's connection. */
function kindModule(): string {
  const rowKind = pathToFileURL(projectPath('dist/libs/files/src/imports/row-kind.js')).href;
  return `
import { headerMapper, ImportFailure } from ${JSON.stringify(rowKind)};

const mapHeaders = headerMapper(
  { membershipNumber: ['Membership Number', 'Membership No'], note: ['Note'] },
  ['membershipNumber'],
);

export const rowKind = {
  mapHeaders,
  open(job, mapping, context) {
    const column = [...mapping.columns].find(([, field]) => field === 'membershipNumber')[0];
    const seen = new Map();
    return {
      committed(rowNumber, cells) {
        seen.set(cells[column].trim(), rowNumber);
      },
      check(rowNumber, cells) {
        const number = (cells[column] ?? '').trim();
        if (!/^\\d{1,10}$/.test(number)) {
          return { rejected: { rowNumber, duplicate: false, reasons: ['membershipNumber: not a number'],
            fields: [number.slice(0, 20) || null, context.label] } };
        }
        const first = seen.get(number);
        if (first !== undefined) {
          return { rejected: { rowNumber, duplicate: true,
            reasons: ['membershipNumber: the same number is on row ' + first], fields: [number, context.label] } };
        }
        seen.set(number, rowNumber);
        return { row: { rowNumber, number } };
      },
      async writeBatch(db, batch, batchContext) {
        if (batch.rows.some((r) => r.number === '666')) throw new ImportFailure('Row 666 stops this import.');
        const written = await db.query(
          'INSERT INTO test_attendance (meeting_id, membership_number) SELECT $1, unnest($2::text[]) ' +
            'ON CONFLICT DO NOTHING RETURNING membership_number',
          [job.parameters.meetingId, batch.rows.map((r) => r.number)],
        );
        const inserted = new Set(written.map((w) => w.membership_number));
        await batchContext.previousCommitted();
        batchContext.emit({ batchOf: batch.rows.length });
        return {
          inserted: inserted.size,
          updated: 0,
          rejected: batch.rows.filter((r) => !inserted.has(r.number)).map((r) => ({
            rowNumber: r.rowNumber, duplicate: true, reasons: ['membershipNumber: already recorded'],
            fields: [r.number, context.label] })),
        };
      },
    };
  },
};
`;
}

describe('the import engine with a second row kind', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let engine: ImportEngine;
  let dir: string;
  const events: unknown[] = [];
  const audits: AuditEntry[] = [];
  const published: { id: string; status: ImportStatus; committedThroughRow: number }[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = mkdtempSync(path.join(tmpdir(), 'import-engine-'));
    writeFileSync(path.join(dir, 'attendance.worker.mjs'), kindModule());
    await db.pool.query(
      `CREATE TABLE test_attendance (meeting_id text NOT NULL, membership_number text NOT NULL,
         PRIMARY KEY (meeting_id, membership_number))`,
    );
    const config = { ...loadConfig({ NODE_ENV: 'test' }), IMPORT_DIR: dir, IMPORT_BATCH_SIZE: 2 };
    dataSource = new DataSource(
      buildDataSourceOptions(config, db.url, { entities: IMPORT_ENTITIES, migrations: [] }),
    );
    await dataSource.initialize();
    const kinds = new ImportKindRegistry();
    kinds.register<{ label: string }>({
      kind: KIND,
      workerModule: path.join(dir, 'attendance.worker.mjs'),
      mapHeaders: () => ({ columns: new Map(), ignored: [], missing: [], repeated: [] }),
      templateHint: 'the attendance template',
      reportColumns: [{ header: 'Membership Number' }, { header: 'Register' }],
      audit: { entityType: 'attendance_import', actionPrefix: 'attendance.import' },
      context: (job) => Promise.resolve({ label: `meeting ${String(job.parameters.meetingId)}` }),
      onEvent: (_job, event) => {
        events.push(event);
      },
    });
    engine = new ImportEngine(dataSource, config, kinds, {
      publish: (job) =>
        published.push({
          id: job.id,
          status: job.status,
          committedThroughRow: job.committedThroughRow,
        }),
      audit: (entry) => {
        audits.push(entry);
        return Promise.resolve();
      },
      finished: () => undefined,
    });
    await engine.start();
  });

  afterAll(async () => {
    await engine?.stop();
    await dataSource?.destroy();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function queue(csv: string, parameters: Record<string, unknown>, committedThroughRow = 1) {
    const job = await dataSource.getRepository(ImportJob).save({
      kind: KIND,
      parameters,
      status: ImportStatus.Queued,
      mode: ImportMode.Create,
      dryRun: false,
      fileName: 'register.csv',
      format: FileFormat.Csv,
      fileSha256: '0'.repeat(64),
      fileSize: csv.length,
      scopeKey: 'national',
      provinceCode: null,
      districtCode: null,
      municipalityCode: null,
      wardCode: null,
      uploadedBy: '00000000-0000-4000-8000-000000000001',
      ignoredColumns: [],
      committedThroughRow,
    });
    writeFileSync(engine.jobFile(job), csv);
    engine.launch();
    return job;
  }

  async function settled(id: string): Promise<ImportJob> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const job = await dataSource.getRepository(ImportJob).findOneByOrFail({ id });
      if (job.status === ImportStatus.Completed || job.status === ImportStatus.Failed) return job;
      if (Date.now() > deadline) throw new Error(`import ${id} is still ${job.status}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function report(job: ImportJob): Promise<string> {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    await writeRejectedReport(dataSource, engine.kinds.get(KIND), job, FileFormat.Csv, out);
    return Buffer.concat(chunks)
      .toString('utf8')
      .replace(/^\uFEFF/, '');
  }

  it('writes its rows in batches with its own parameters, counters and rejected-rows report', async () => {
    await db.pool.query(
      `INSERT INTO test_attendance VALUES ('meeting-1', '500')`, // recorded before: the writer refuses it
    );
    const queued = await queue(
      'Membership No,Note,Extra\n100,,x\n101,,x\nabc,,x\n100,,x\n500,,x\n102,,x\n',
      { meetingId: 'meeting-1' },
    );
    const job = await settled(queued.id);
    expect(job).toMatchObject({
      status: ImportStatus.Completed,
      totalRows: 6,
      validRows: 3,
      insertedRows: 3,
      rejectedRows: 3,
      duplicateRows: 2,
      committedThroughRow: 7,
    });
    const { rows } = await db.pool.query<{ membership_number: string }>(
      `SELECT membership_number FROM test_attendance WHERE meeting_id = 'meeting-1' ORDER BY 1`,
    );
    expect(rows.map((r) => r.membership_number)).toEqual(['100', '101', '102', '500']);
    expect(await report(job)).toBe(
      'Row,Duplicate,Reasons,Membership Number,Register\n' +
        '4,no,membershipNumber: not a number,abc,meeting meeting-1\n' +
        '5,yes,membershipNumber: the same number is on row 2,100,meeting meeting-1\n' +
        '6,yes,membershipNumber: already recorded,500,meeting meeting-1\n',
    );
    // The kind's events reached its main-thread side; the engine audited the completion under the kind's names.
    expect(events).toContainEqual({ batchOf: 2 });
    expect(audits).toContainEqual(
      expect.objectContaining({
        action: 'attendance.import.completed',
        entityType: 'attendance_import',
        entityId: job.id,
      }),
    );
    // Progress was published per committed batch (batch size 2: rows 2-3, 4-5, 6-7).
    const progress = published.filter((p) => p.id === job.id).map((p) => p.committedThroughRow);
    expect(progress).toEqual(expect.arrayContaining([3, 5, 7]));
  });

  it('resumes after the committed row and keeps earlier batches when a batch fails', async () => {
    // Rows 2-3 were committed by an earlier run: they are only remembered (row 5 repeats row 2).
    const queued = await queue(
      'Membership Number\n200\n201\n202\n200\n203\n666\n204\n',
      { meetingId: 'meeting-2' },
      3,
    );
    const job = await settled(queued.id);
    expect(job.status).toBe(ImportStatus.Failed);
    expect(job.error).toBe(
      'Row 666 stops this import. Rows up to 5 were committed (1 inserted, 0 updated).',
    );
    const { rows } = await db.pool.query<{ membership_number: string }>(
      `SELECT membership_number FROM test_attendance WHERE meeting_id = 'meeting-2' ORDER BY 1`,
    );
    expect(rows.map((r) => r.membership_number)).toEqual(['202']);
    expect(await report(job)).toBe(
      'Row,Duplicate,Reasons,Membership Number,Register\n' +
        '5,yes,membershipNumber: the same number is on row 2,200,meeting meeting-2\n',
    );
  });
});
