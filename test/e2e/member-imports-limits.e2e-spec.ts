import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { bearer, loginAsSuperAdmin, Session } from '../harness/auth.js';
import { makeIdNumber, wardsOf } from '../harness/member-rows.js';
import {
  createTestDatabase,
  RunningApp,
  startApp,
  startTestContext,
  TestContext,
  TestDatabase,
} from '../harness/test-app.js';
import { buildZip, sheetXml } from '../harness/zip.js';

interface Job {
  id: string;
  status: string;
  totalRows: number;
  committedThroughRow: number;
  queuePosition: number | null;
  error: string | null;
  code?: string;
}

const HEADER = ['ID Number', 'First Names', 'Surname', 'Ward Code'];

function folder(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** Every file under a folder, relative to it (folders themselves left out). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

async function xlsx(rows: ExcelJS.CellValue[][]): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('Register');
  for (const row of rows) sheet.addRow(row);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

async function registerRows(count: number, seed: number, wardCodes: string[]): Promise<string[][]> {
  const rows: string[][] = [];
  for (let i = 0; i < count; i += 1) {
    const born = new Date(Date.UTC(1950 + (seed % 40), 0, 1) + Math.floor(i / 4000) * 86_400_000);
    rows.push([
      makeIdNumber(born.toISOString().slice(0, 10), i % 4000, i % 2 === 0 ? 'female' : 'male'),
      `Name${seed}-${i}`,
      `Surname${i}`,
      wardCodes[i % wardCodes.length]!,
    ]);
  }
  return rows;
}

function csv(rows: string[][]): Buffer {
  return Buffer.from([HEADER, ...rows].map((r) => r.join(',')).join('\n'));
}

async function upload(
  app: RunningApp,
  session: Session,
  file: Buffer,
  name: string,
  fields: Record<string, string> = {},
): Promise<{ status: number; body: Job }> {
  let req = app
    .http()
    .post('/api/v1/members/imports')
    .set(...bearer(session));
  for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
  const res = await req.attach('file', file, name);
  return { status: res.status, body: res.body as Job };
}

async function getJob(app: RunningApp, session: Session, id: string): Promise<Job> {
  const res = await app
    .http()
    .get(`/api/v1/members/imports/${id}`)
    .set(...bearer(session));
  expect(res.status).toBe(200);
  return res.body as Job;
}

async function finished(app: RunningApp, session: Session, id: string): Promise<Job> {
  for (let i = 0; i < 600; i += 1) {
    const job = await getJob(app, session, id);
    if (job.status === 'completed' || job.status === 'failed') return job;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('import did not finish');
}

describe('#15.1 XLSX zip bomb fills the disk or RAM', () => {
  const importDir = folder('imports-15-1-');
  const appTmp = folder('tmp-15-1-');
  const ENV = {
    IMPORT_DIR: importDir,
    TMPDIR: appTmp,
    IMPORT_MAX_UNCOMPRESSED_BYTES: '8000000',
    IMPORT_MAX_COMPRESSION_RATIO: '100',
    IMPORT_MAX_ROWS: '30',
    IMPORT_BATCH_SIZE: '5',
  };
  let db: TestDatabase;
  let app: RunningApp;
  let admin: Session;
  let wardCodes: string[];

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startApp(db, ENV);
    admin = await loginAsSuperAdmin(app);
    wardCodes = (await wardsOf(db.pool, 'GP', 10)).map((w) => w.code);
  });
  afterAll(async () => {
    await app?.stop();
    await db?.drop();
    rmSync(importDir, { recursive: true, force: true });
    rmSync(appTmp, { recursive: true, force: true });
  });

  async function jobsNamed(name: string): Promise<number> {
    const { rows } = await db.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM member_import_jobs WHERE file_name = $1',
      [name],
    );
    return rows[0]!.n;
  }

  function nothingLeft(): void {
    expect(filesUnder(appTmp)).toEqual([]);
    expect(filesUnder(importDir)).toEqual([]);
  }

  it('refuses by its central directory, before inflating a byte: a part compressed past the ratio (422) and an archive unpacking past the cap (413)', async () => {
    const bomb = buildZip([
      { name: 'xl/workbook.xml', data: Buffer.from('<workbook/>') },
      { name: 'xl/worksheets/sheet1.xml', data: sheetXml([HEADER], 6 * 1024 * 1024) },
    ]);
    expect(bomb.length).toBeLessThan(100_000);
    const ratio = await upload(app, admin, bomb, 'bomb.xlsx');
    expect(ratio.status).toBe(422);
    expect(ratio.body.code).toBe('COMPRESSION_RATIO_TOO_HIGH');
    expect(JSON.stringify(ratio.body)).toContain('100:1');
    nothingLeft();

    const noise = randomBytes(100_000);
    const big = buildZip([
      { name: 'xl/worksheets/sheet1.xml', data: sheetXml([HEADER]) },
      { name: 'xl/media/a.bin', data: noise, store: true, declaredSize: 4_500_000 },
      { name: 'xl/media/b.bin', data: noise, store: true, declaredSize: 4_500_000 },
    ]);
    const total = await upload(app, admin, big, 'big.xlsx');
    expect(total.status).toBe(413);
    expect(total.body.code).toBe('UNCOMPRESSED_TOO_LARGE');
    nothingLeft();
    expect(await jobsNamed('bomb.xlsx')).toBe(0);
    expect(await jobsNamed('big.xlsx')).toBe(0);
  });

  it('counts the bytes it inflates: a part that declares less than it holds stops at its declared size', async () => {
    const lying = buildZip([
      {
        name: 'xl/worksheets/sheet1.xml',
        data: sheetXml([HEADER], 6 * 1024 * 1024),
        declaredSize: 2_000,
      },
    ]);
    const res = await upload(app, admin, lying, 'lying.xlsx');
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('COMPRESSION_RATIO_TOO_HIGH');
    nothingLeft();
    expect(await jobsNamed('lying.xlsx')).toBe(0);
  });

  it('leaves no decompressed copy of the register after an XLSX import that completes or fails', async () => {
    const ok = await upload(
      app,
      admin,
      await xlsx([HEADER, ...(await registerRows(12, 1, wardCodes))]),
      'ok.xlsx',
    );
    expect(ok.status).toBe(202);
    expect(await finished(app, admin, ok.body.id)).toMatchObject({
      status: 'completed',
      totalRows: 12,
    });
    nothingLeft();

    // IMPORT_MAX_ROWS is 30: this one fails on row 32 after committing the rows before it.
    const tooMany = await upload(
      app,
      admin,
      await xlsx([HEADER, ...(await registerRows(40, 2, wardCodes))]),
      'too-many.xlsx',
    );
    expect(tooMany.status).toBe(202);
    const failed = await finished(app, admin, tooMany.body.id);
    expect(failed.status).toBe('failed');
    expect(filesUnder(appTmp)).toEqual([]);
    // Only the upload itself is kept, compressed as it came, for a retry (until IMPORT_RETENTION_HOURS).
    expect(filesUnder(importDir)).toEqual([`${failed.id}.xlsx`]);
  });

  it('leaves no decompressed copy after a crash mid-import (the restarted process marks the job failed)', async () => {
    const rows = await registerRows(20_000, 3, wardCodes);
    const crashEnv = { ...ENV, IMPORT_MAX_ROWS: '200000' };
    await app.stop();
    app = await startApp(db, crashEnv);
    admin = await loginAsSuperAdmin(app);
    const res = await upload(app, admin, await xlsx([HEADER, ...rows]), 'crash.xlsx');
    expect(res.status).toBe(202);
    for (;;) {
      const current = await getJob(app, admin, res.body.id);
      expect(current.status).not.toBe('completed');
      if (current.committedThroughRow > 50) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    await app.stop('SIGKILL');
    app = await startApp(db, ENV);
    admin = await loginAsSuperAdmin(app);
    expect((await getJob(app, admin, res.body.id)).status).toBe('failed');
    expect(filesUnder(appTmp)).toEqual([]);
    expect(filesUnder(importDir).filter((f) => !/^[0-9a-f-]{36}\.xlsx$/.test(f))).toEqual([]);
  }, 120_000);
});

describe('#15.10 Rejected uploads stay on disk forever', () => {
  const importDir = folder('imports-15-10-');
  let ctx: TestContext;
  let admin: Session;
  let wardCodes: string[];

  beforeAll(async () => {
    ctx = await startTestContext({
      IMPORT_DIR: importDir,
      IMPORT_MAX_BYTES: '200000',
      IMPORT_MAX_ROWS: '5',
      IMPORT_RETENTION_HOURS: '24',
      IMPORT_SWEEP_INTERVAL_SECONDS: '1',
    });
    admin = await loginAsSuperAdmin(ctx.app);
    wardCodes = (await wardsOf(ctx.db.pool, 'GP', 10)).map((w) => w.code);
  });
  afterAll(async () => {
    await ctx?.close();
    rmSync(importDir, { recursive: true, force: true });
  });

  it('removes the uploaded file on every error path', async () => {
    const good = csv(await registerRows(3, 4, wardCodes));
    const answers = [
      // Validation of the form runs after multer wrote the file.
      await upload(ctx.app, admin, good, 'bad-mode.csv', { mode: 'overwrite' }),
      await upload(ctx.app, admin, good, 'bad-flag.csv', { dryRun: 'maybe' }),
      await upload(ctx.app, admin, Buffer.from('Name,Phone\nA,1\n'), 'bad-header.csv'),
      await upload(ctx.app, admin, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0]), 'x.csv'),
      await upload(ctx.app, admin, Buffer.alloc(300_000, 'a,b,c\n'), 'huge.csv'),
    ];
    expect(answers.map((a) => a.status)).toEqual([400, 400, 400, 415, 413]);
    expect(filesUnder(importDir)).toEqual([]);
  });

  it('sweeps a failed job’s file after IMPORT_RETENTION_HOURS, and uploads orphaned in incoming/', async () => {
    // IMPORT_MAX_ROWS is 5: both fail, and keep their file for a retry.
    const expired = await upload(ctx.app, admin, csv(await registerRows(8, 5, wardCodes)), 'a.csv');
    const recent = await upload(ctx.app, admin, csv(await registerRows(8, 6, wardCodes)), 'b.csv');
    expect((await finished(ctx.app, admin, expired.body.id)).status).toBe('failed');
    expect((await finished(ctx.app, admin, recent.body.id)).status).toBe('failed');
    const expiredFile = path.join(importDir, `${expired.body.id}.csv`);
    const recentFile = path.join(importDir, `${recent.body.id}.csv`);
    expect(existsSync(expiredFile)).toBe(true);
    await ctx.db.pool.query(
      `UPDATE member_import_jobs SET finished_at = now() - interval '25 hours' WHERE id = $1`,
      [expired.body.id],
    );
    const orphan = path.join(importDir, 'incoming', 'abandoned-upload');
    const inFlight = path.join(importDir, 'incoming', 'upload-in-flight');
    writeFileSync(orphan, '8001015009087,Thabo,Mbeki,79700001\n');
    writeFileSync(inFlight, 'still being written');
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    utimesSync(orphan, twoHoursAgo, twoHoursAgo);

    for (let i = 0; i < 100 && (existsSync(expiredFile) || existsSync(orphan)); i += 1) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(existsSync(expiredFile)).toBe(false);
    expect(existsSync(orphan)).toBe(false);
    expect(existsSync(recentFile)).toBe(true);
    expect(existsSync(inFlight)).toBe(true);
    rmSync(inFlight);

    const retry = await ctx.app
      .http()
      .post(`/api/v1/members/imports/${expired.body.id}/retry`)
      .set(...bearer(admin));
    expect(retry.status).toBe(409);
    expect(JSON.stringify(retry.body)).toContain('no longer kept');
  });

  it('fails a job left queued past IMPORT_RETENTION_HOURS where no process has its file', async () => {
    const { rows } = await ctx.db.pool.query<{ id: string }>(
      `INSERT INTO member_import_jobs (status, mode, dry_run, file_name, format, file_sha256, file_size,
         scope_key, uploaded_by, updated_at)
       SELECT 'queued', 'create', true, 'lost.csv', 'csv', repeat('0', 64), 10, 'national', id,
         now() - interval '25 hours'
       FROM users ORDER BY created_at LIMIT 1
       RETURNING id`,
    );
    const id = rows[0]!.id;
    let job = await getJob(ctx.app, admin, id);
    for (let i = 0; i < 100 && job.status === 'queued'; i += 1) {
      await new Promise((r) => setTimeout(r, 100));
      job = await getJob(ctx.app, admin, id);
    }
    expect(job.status).toBe('failed');
    expect(job.error).toContain('upload the file again');
  });
});

describe('#15.11 Unbounded concurrent imports', () => {
  const importDir = folder('imports-15-11-');
  const ENV = { IMPORT_DIR: importDir, IMPORT_CONCURRENCY: '1', IMPORT_BATCH_SIZE: '50' };
  let db: TestDatabase;
  let apps: RunningApp[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    // Two processes on one database: the limit holds across the cluster, not per process.
    apps = [await startApp(db, ENV), await startApp(db, ENV)];
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    await db?.drop();
    rmSync(importDir, { recursive: true, force: true });
  });

  it('runs at most IMPORT_CONCURRENCY imports at once across processes; the rest wait queued with their position', async () => {
    const wardCodes = (await wardsOf(db.pool, 'GP', 20)).map((w) => w.code);
    const sessions = [await loginAsSuperAdmin(apps[0]!), await loginAsSuperAdmin(apps[1]!)];
    let maxRunning = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const { rows } = await db.pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM member_import_jobs WHERE status = 'running'`,
        );
        maxRunning = Math.max(maxRunning, rows[0]!.n);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    try {
      const jobs: Job[] = [];
      for (let i = 0; i < 4; i += 1) {
        const res = await upload(
          apps[i % 2]!,
          sessions[i % 2]!,
          csv(await registerRows(5000, 10 + i, wardCodes)),
          `dry-${i}.csv`,
          { dryRun: 'true' },
        );
        expect(res.status).toBe(202);
        jobs.push(res.body);
      }
      // Each run takes a few seconds (batches of 50): the later uploads answered while it ran.
      const waiting = jobs.slice(1).filter((j) => j.status === 'queued');
      expect(waiting.length).toBeGreaterThanOrEqual(2);
      for (const j of waiting) expect(j.queuePosition).toBeGreaterThanOrEqual(1);
      for (const j of jobs.filter((x) => x.status !== 'queued')) {
        expect(j.queuePosition).toBeNull();
      }
      const listed = await apps[0]!
        .http()
        .get('/api/v1/members/imports')
        .set(...bearer(sessions[0]!));
      // A job may start between the page and its positions being read: it then shows no position.
      const positions = (listed.body as { data: Job[] }).data
        .filter((j) => j.status === 'queued' && j.queuePosition !== null)
        .map((j) => j.queuePosition!)
        .sort((a, b) => a - b);
      expect(positions).toEqual(positions.map((_, i) => i + 1));

      for (const job of jobs) {
        expect(await finished(apps[0]!, sessions[0]!, job.id)).toMatchObject({
          status: 'completed',
          totalRows: 5000,
        });
      }
    } finally {
      watching = false;
      await watcher;
    }
    expect(maxRunning).toBe(1);
  }, 180_000);
});
