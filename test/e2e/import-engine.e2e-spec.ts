// A second row kind, registered by this spec only, runs through the same import engine as the member register:
// the same queue, runner, worker thread (which loads only this kind's module), batch transactions, resumption
// and rejected-rows report. The kind is plain ESM written to a temporary directory, as a module's compiled
// `*.worker.js` would be. The engine runs from the build (dist/) in a child process, as the app does: jest cannot
// load Nest's ESM packages in-process.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createTestDatabase, TestDatabase } from '../harness/test-app.js';

const KIND = 'test-attendance';

/** The kind's worker module: columns, a pure per-row check, and a batch writer over the worker's connection. */
function dist(file: string): string {
  return pathToFileURL(path.join(process.cwd(), 'dist', file)).href;
}

function kindModule(): string {
  const rowKind = dist('libs/files/src/imports/row-kind.js');
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

/**
 * The engine's host for this spec: registers the kind on its own ImportEngine (the app's class, without Nest),
 * runs every queued job to its end, writes each job's rejected-rows report next to its file with the one report
 * writer, and prints what the engine told the app (progress, audit, the kind's events) as JSON.
 */
function hostModule(): string {
  return `
import path from 'node:path';
import { createWriteStream, writeFileSync } from 'node:fs';
import { DataSource } from ${JSON.stringify(pathToFileURL(path.join(process.cwd(), 'node_modules/typeorm/index.mjs')).href)};
import { buildDataSourceOptions, loadConfig } from ${JSON.stringify(dist('libs/core/src/index.js'))};
import { FileFormat, IMPORT_ENTITIES, ImportEngine, ImportJob, ImportKindRegistry, writeRejectedReport }
  from ${JSON.stringify(dist('libs/files/src/index.js'))};

const [dir, url] = process.argv.slice(2);
const config = { ...loadConfig({ NODE_ENV: 'test' }), IMPORT_DIR: dir, IMPORT_BATCH_SIZE: 2 };
const dataSource = new DataSource(buildDataSourceOptions(config, url, { entities: IMPORT_ENTITIES, migrations: [] }));
await dataSource.initialize();
const told = { events: [], audits: [], published: [] };
const kinds = new ImportKindRegistry();
kinds.register({
  kind: ${JSON.stringify(KIND)},
  workerModule: path.join(dir, 'attendance.worker.mjs'),
  mapHeaders: () => ({ columns: new Map(), ignored: [], missing: [], repeated: [] }),
  templateHint: 'the attendance template',
  reportColumns: [{ header: 'Membership Number' }, { header: 'Register' }],
  audit: { entityType: 'attendance_import', actionPrefix: 'attendance.import' },
  context: async (job) => ({ label: 'meeting ' + job.parameters.meetingId }),
  onEvent: (_job, event) => { told.events.push(event); },
});
const engine = new ImportEngine(dataSource, config, kinds, {
  publish: (job) => told.published.push({ id: job.id, status: job.status, committedThroughRow: job.committedThroughRow }),
  audit: async (entry) => { told.audits.push(entry); },
  finished: () => undefined,
});
await engine.start();
const deadline = Date.now() + 30000;
for (;;) {
  const [{ n }] = await dataSource.query("SELECT count(*)::int AS n FROM import_jobs WHERE status IN ('queued', 'running')");
  if (n === 0) break;
  if (Date.now() > deadline) throw new Error('jobs still queued or running');
  await new Promise((r) => setTimeout(r, 100));
}
await engine.stop();
for (const job of await dataSource.getRepository(ImportJob).find()) {
  const out = createWriteStream(path.join(dir, job.id + '-report.csv'));
  await writeRejectedReport(dataSource, kinds.get(job.kind), job, FileFormat.Csv, out);
  await new Promise((resolve) => out.end(resolve));
}
await dataSource.destroy();
writeFileSync(path.join(dir, 'told.json'), JSON.stringify(told));
`;
}

interface Told {
  events: unknown[];
  audits: { action: string; entityType: string; entityId: string }[];
  published: { id: string; status: string; committedThroughRow: number }[];
}

interface JobRow {
  status: string;
  error: string | null;
  total_rows: number;
  valid_rows: number;
  inserted_rows: number;
  rejected_rows: number;
  duplicate_rows: number;
  committed_through_row: number;
}

describe('the import engine with a second row kind', () => {
  let db: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = mkdtempSync(path.join(tmpdir(), 'import-engine-'));
    writeFileSync(path.join(dir, 'attendance.worker.mjs'), kindModule());
    writeFileSync(path.join(dir, 'host.mjs'), hostModule());
    await db.pool.query(
      `CREATE TABLE test_attendance (meeting_id text NOT NULL, membership_number text NOT NULL,
         PRIMARY KEY (meeting_id, membership_number))`,
    );
  });

  afterAll(async () => {
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Queues a job of the test kind as a module's upload route would (ImportJobsService.upload). */
  async function queue(
    csv: string,
    parameters: Record<string, unknown>,
    committedThroughRow = 1,
  ): Promise<string> {
    const { rows } = await db.pool.query<{ id: string }>(
      `INSERT INTO import_jobs (kind, parameters, status, mode, dry_run, file_name, format, file_sha256,
         file_size, scope_key, uploaded_by, committed_through_row)
       VALUES ($1, $2, 'queued', 'create', false, 'register.csv', 'csv', repeat('0', 64), $3, 'national',
         '00000000-0000-4000-8000-000000000001', $4)
       RETURNING id`,
      [KIND, JSON.stringify(parameters), csv.length, committedThroughRow],
    );
    const id = rows[0]!.id;
    writeFileSync(path.join(dir, `${id}.csv`), csv);
    return id;
  }

  /** Runs the engine until every queued job has ended. */
  function runEngine(): Promise<Told> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(dir, 'host.mjs'), dir, db.url], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      child.once('exit', (code) => {
        if (code === 0)
          resolve(JSON.parse(readFileSync(path.join(dir, 'told.json'), 'utf8')) as Told);
        else reject(new Error(`engine host exited with ${code}:\n${err}\n${out}`));
      });
    });
  }

  async function job(id: string): Promise<JobRow> {
    const { rows } = await db.pool.query<JobRow>('SELECT * FROM import_jobs WHERE id = $1', [id]);
    return rows[0]!;
  }

  function report(id: string): string {
    return readFileSync(path.join(dir, `${id}-report.csv`), 'utf8').replace(/^\uFEFF/, '');
  }

  async function attendance(meeting: string): Promise<string[]> {
    const { rows } = await db.pool.query<{ membership_number: string }>(
      'SELECT membership_number FROM test_attendance WHERE meeting_id = $1 ORDER BY 1',
      [meeting],
    );
    return rows.map((r) => r.membership_number);
  }

  it('writes its rows in batches with its own parameters, counters and rejected-rows report; resumes after the committed row; a failing batch keeps the earlier ones', async () => {
    // Recorded before: the writer refuses it.
    await db.pool.query(`INSERT INTO test_attendance VALUES ('meeting-1', '500')`);
    const first = await queue(
      'Membership No,Note,Extra\n100,,x\n101,,x\nabc,,x\n100,,x\n500,,x\n102,,x\n',
      {
        meetingId: 'meeting-1',
      },
    );
    // Rows 2-3 were committed by an earlier run: only remembered (row 5 repeats row 2); 666 fails its batch.
    const second = await queue(
      'Membership Number\n200\n201\n202\n200\n203\n666\n204\n',
      { meetingId: 'meeting-2' },
      3,
    );

    const told = await runEngine();

    expect(await job(first)).toMatchObject({
      status: 'completed',
      total_rows: 6,
      valid_rows: 3,
      inserted_rows: 3,
      rejected_rows: 3,
      duplicate_rows: 2,
      committed_through_row: 7,
    });
    expect(await attendance('meeting-1')).toEqual(['100', '101', '102', '500']);
    expect(report(first)).toBe(
      'Row,Duplicate,Reasons,Membership Number,Register\n' +
        '4,no,membershipNumber: not a number,abc,meeting meeting-1\n' +
        '5,yes,membershipNumber: the same number is on row 2,100,meeting meeting-1\n' +
        '6,yes,membershipNumber: already recorded,500,meeting meeting-1\n',
    );
    // Progress per committed batch (batch size 2: rows 2-3, 4-5, 6-7); the kind's events reached its
    // main-thread side; the completion is audited under the kind's names.
    const progress = told.published.filter((p) => p.id === first).map((p) => p.committedThroughRow);
    expect(progress).toEqual(expect.arrayContaining([3, 5, 7]));
    expect(told.events).toContainEqual({ batchOf: 2 });
    expect(told.audits).toContainEqual(
      expect.objectContaining({
        action: 'attendance.import.completed',
        entityType: 'attendance_import',
        entityId: first,
      }),
    );

    const failed = await job(second);
    expect(failed.status).toBe('failed');
    expect(failed.error).toBe(
      'Row 666 stops this import. Rows up to 5 were committed (1 inserted, 0 updated).',
    );
    expect(await attendance('meeting-2')).toEqual(['202']);
    expect(report(second)).toBe(
      'Row,Duplicate,Reasons,Membership Number,Register\n' +
        '5,yes,membershipNumber: the same number is on row 2,200,meeting meeting-2\n',
    );
    expect(told.audits.map((a) => a.entityId)).not.toContain(second);
  });
});
