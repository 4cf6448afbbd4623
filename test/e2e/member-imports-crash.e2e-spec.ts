import { bearer, loginAsSuperAdmin, Session } from '../harness/auth.js';
import { makeIdNumber, wardsOf } from '../harness/member-rows.js';
import { createTestDatabase, RunningApp, startApp, TestDatabase } from '../harness/test-app.js';

interface Job {
  id: string;
  status: string;
  totalRows: number;
  insertedRows: number;
  rejectedRows: number;
  duplicateRows: number;
  committedThroughRow: number;
  error: string | null;
}

const ROWS = 40_000;
const ENV = { IMPORT_BATCH_SIZE: '500', STATS_REFRESH_INTERVAL_SECONDS: '0' };

describe('Member import survives a crash (e2e)', () => {
  let db: TestDatabase;
  let app: RunningApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startApp(db, ENV);
  });
  afterAll(async () => {
    await app?.stop();
    await db?.drop();
  });

  async function job(session: Session, id: string): Promise<Job> {
    const res = await app
      .http()
      .get(`/api/v1/members/imports/${id}`)
      .set(...bearer(session));
    expect(res.status).toBe(200);
    return res.body as Job;
  }

  async function count(): Promise<number> {
    const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM members');
    return rows[0]!.n;
  }

  it('marks the job failed on restart with exactly what was committed, and a retry completes it', async () => {
    const wards = await wardsOf(db.pool, 'GP', 50);
    const lines = ['ID Number,First Names,Surname,Ward Code'];
    for (let i = 0; i < ROWS; i += 1) {
      const born = new Date(Date.UTC(1960, 0, 1) + Math.floor(i / 4000) * 86_400_000 * 40);
      const id = makeIdNumber(
        born.toISOString().slice(0, 10),
        i % 4000,
        i % 2 === 0 ? 'female' : 'male',
      );
      lines.push(`${id},Name${i},Surname${i},${wards[i % wards.length]!.code}`);
    }
    const file = Buffer.from(lines.join('\n'));
    let admin = await loginAsSuperAdmin(app);
    const res = await app
      .http()
      .post('/api/v1/members/imports')
      .set(...bearer(admin))
      .attach('file', file, 'big.csv');
    expect(res.status).toBe(202);
    const id = (res.body as Job).id;

    for (;;) {
      const current = await job(admin, id);
      expect(current.status).not.toBe('completed');
      if (current.committedThroughRow > 2_000) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    await app.stop('SIGKILL');

    app = await startApp(db, ENV);
    admin = await loginAsSuperAdmin(app);
    const failed = await job(admin, id);
    expect(failed.status).toBe('failed');
    expect(failed.committedThroughRow).toBeGreaterThan(2_000);
    expect(failed.committedThroughRow).toBeLessThan(ROWS + 1);
    const committed = await count();
    expect(failed.insertedRows).toBe(committed);
    expect(failed.totalRows).toBe(failed.committedThroughRow - 1);
    expect(failed.error).toContain(`Rows up to ${failed.committedThroughRow} were committed`);

    const retry = await app
      .http()
      .post(`/api/v1/members/imports/${id}/retry`)
      .set(...bearer(admin));
    expect(retry.status).toBe(202);
    let done = await job(admin, id);
    for (let i = 0; i < 600 && done.status !== 'completed' && done.status !== 'failed'; i += 1) {
      await new Promise((r) => setTimeout(r, 100));
      done = await job(admin, id);
    }
    expect(done).toMatchObject({
      status: 'completed',
      totalRows: ROWS,
      insertedRows: ROWS,
      rejectedRows: 0,
      duplicateRows: 0,
      committedThroughRow: ROWS + 1,
    });
    expect(await count()).toBe(ROWS);

    const again = await app
      .http()
      .post('/api/v1/members/imports')
      .set(...bearer(admin))
      .attach('file', file, 'big-again.csv');
    expect(again.status).toBe(200);
    expect((again.body as Job).id).toBe(id);
    expect(await count()).toBe(ROWS);
  }, 180_000);
});
