import { bearer, createUser, loginAsSuperAdmin, TestUser } from '../harness/auth.js';
import { makeIdNumber, wardsOf } from '../harness/member-rows.js';
import { startTestContext, TestContext } from '../harness/test-app.js';

interface Job {
  id: string;
  status: string;
  totalRows: number;
  insertedRows: number;
  rejectedRows: number;
  committedThroughRow: number;
  error: string | null;
}

const ROWS = 30_000;

/** The worker's connections name their thread; the API's own pool is plain 'eff-membership-api'. */
const WORKER_CONNECTIONS = `SELECT pid, application_name FROM pg_stat_activity
  WHERE datname = current_database() AND application_name LIKE 'eff-membership-api import%'`;

describe('#15.11 imports keep the rest of the API responsive: rows run on a worker thread', () => {
  let ctx: TestContext;
  let gp: TestUser;
  let register: (bornFrom: number) => Buffer;

  beforeAll(async () => {
    ctx = await startTestContext({
      IMPORT_BATCH_SIZE: '500',
      IMPORT_WORKER_NICE: '19',
      STATS_REFRESH_INTERVAL_SECONDS: '0',
      THROTTLE_LIMIT: '1000000', // the test polls the job
    });
    const admin = await loginAsSuperAdmin(ctx.app);
    gp = await createUser(ctx.app, admin, 'provincial_admin', 'province', 'GP');
    const wards = await wardsOf(ctx.db.pool, 'GP', 50);
    register = (bornFrom) => {
      const lines = ['ID Number,First Names,Surname,Ward Code'];
      for (let i = 0; i < ROWS; i += 1) {
        const born = new Date(Date.UTC(bornFrom, 0, 1) + Math.floor(i / 4000) * 86_400_000 * 40);
        const id = makeIdNumber(
          born.toISOString().slice(0, 10),
          i % 4000,
          i % 2 === 0 ? 'female' : 'male',
        );
        lines.push(`${id},Name${i},Surname${i},${wards[i % wards.length]!.code}`);
      }
      return Buffer.from(lines.join('\n'));
    };
  });
  afterAll(() => ctx?.close());

  async function job(id: string): Promise<Job> {
    const res = await ctx.app
      .http()
      .get(`/api/v1/members/imports/${id}`)
      .set(...bearer(gp));
    expect(res.status).toBe(200);
    return res.body as Job;
  }

  async function upload(file: Buffer, name: string): Promise<string> {
    const res = await ctx.app
      .http()
      .post('/api/v1/members/imports')
      .set(...bearer(gp))
      .attach('file', file, name);
    expect(res.status).toBe(202);
    return (res.body as Job).id;
  }

  /** Waits until the job has committed some batches and is still running. */
  async function midway(id: string): Promise<void> {
    for (;;) {
      const current = await job(id);
      expect(current.status).not.toMatch(/completed|failed/);
      if (current.committedThroughRow > 1_000) return;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async function settled(id: string): Promise<Job> {
    for (let i = 0; i < 1200; i += 1) {
      const current = await job(id);
      if (current.status === 'completed' || current.status === 'failed') return current;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('import did not finish');
  }

  async function members(): Promise<number> {
    const { rows } = await ctx.db.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM members',
    );
    return rows[0]!.n;
  }

  it('rows are read, validated and written on a worker thread with its own connections, while the API answers', async () => {
    const id = await upload(register(1960), 'register.csv');
    await midway(id);
    // Seen from the database: the import writes over connections named after a thread other than the main one (0).
    const { rows: workers } = await ctx.db.pool.query<{ application_name: string }>(
      WORKER_CONNECTIONS,
    );
    expect(workers.length).toBeGreaterThan(0);
    for (const w of workers) {
      expect(w.application_name).toMatch(/^eff-membership-api import \(thread [1-9]\d*\)$/);
    }
    // The API answers a member list page, and the import was still running after it.
    const page = await ctx.app
      .http()
      .get('/api/v1/members?limit=25')
      .set(...bearer(gp));
    expect(page.status).toBe(200);
    expect((await job(id)).status).toBe('running');

    const done = await settled(id);
    expect(done).toMatchObject({ status: 'completed', insertedRows: ROWS });
    // The thread ended with its job: no connection of it is left.
    expect((await ctx.db.pool.query(WORKER_CONNECTIONS)).rows).toEqual([]);
  }, 240_000);

  it('a worker crash (its connections cut mid-import) fails the job with exactly what was committed; the API keeps serving and a retry completes it', async () => {
    const before = await members();
    const id = await upload(register(1970), 'crash.csv');
    await midway(id);
    const { rows: workers } = await ctx.db.pool.query<{ pid: number }>(WORKER_CONNECTIONS);
    expect(workers.length).toBeGreaterThan(0);
    await ctx.db.pool.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [
      workers.map((w) => w.pid),
    ]);

    const failed = await settled(id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toContain('The import stopped on an unexpected error');
    expect(failed.error).toContain(`Rows up to ${failed.committedThroughRow} were committed`);
    expect(failed.committedThroughRow).toBeLessThan(ROWS + 1);
    // No half-written batch: the members are exactly the committed rows, and counted as such.
    expect(await members()).toBe(before + failed.insertedRows);
    expect(failed.totalRows).toBe(failed.committedThroughRow - 1);
    expect(ctx.app.process.exitCode).toBeNull();
    expect(
      (
        await ctx.app
          .http()
          .get('/api/v1/members?limit=5')
          .set(...bearer(gp))
      ).status,
    ).toBe(200);
    expect((await ctx.db.pool.query(WORKER_CONNECTIONS)).rows).toEqual([]);

    const retry = await ctx.app
      .http()
      .post(`/api/v1/members/imports/${id}/retry`)
      .set(...bearer(gp));
    expect(retry.status).toBe(202);
    expect(await settled(id)).toMatchObject({
      status: 'completed',
      totalRows: ROWS,
      insertedRows: ROWS,
      rejectedRows: 0,
      committedThroughRow: ROWS + 1,
    });
    expect(await members()).toBe(before + ROWS);
  }, 240_000);
});
