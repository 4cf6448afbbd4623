import { Client } from 'pg';
import { whileHoldingClusterLock } from '../../libs/core/src/database/cluster-lock.js';
import { createTestDatabase, TestDatabase } from '../harness/test-app.js';

/** The "one process wins" lock of the daily jobs, on two real PostgreSQL sessions. */
describe('whileHoldingClusterLock (PostgreSQL advisory lock)', () => {
  let db: TestDatabase;
  let first: Client;
  let second: Client;

  beforeAll(async () => {
    db = await createTestDatabase();
    first = new Client({ connectionString: db.url });
    second = new Client({ connectionString: db.url });
    await Promise.all([first.connect(), second.connect()]);
  });
  afterAll(async () => {
    await Promise.all([first?.end(), second?.end()]);
    await db?.drop();
  });

  const held = async (key: number): Promise<number> =>
    (
      await db.pool.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = $1",
        [key],
      )
    ).rows[0]!.n;

  it('runs the work in one session while the other is turned away at once, then releases', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const winner = whileHoldingClusterLock(first, [7599, 1], async () => {
      await gate;
      return 'done';
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(await held(1)).toBe(1);
    const loser = await whileHoldingClusterLock(second, [7599, 1], () => Promise.resolve('never'));
    expect(loser).toEqual({ ran: false });
    release();
    expect(await winner).toEqual({ ran: true, value: 'done' });
    expect(await held(1)).toBe(0);
    expect(await whileHoldingClusterLock(second, [7599, 1], () => Promise.resolve(2))).toEqual({
      ran: true,
      value: 2,
    });
  });

  it('releases the lock when the work fails', async () => {
    await expect(
      whileHoldingClusterLock(first, 7_599_002, () => Promise.reject(new Error('boom'))),
    ).rejects.toThrow('boom');
    expect(await whileHoldingClusterLock(second, 7_599_002, () => Promise.resolve('next'))).toEqual(
      { ran: true, value: 'next' },
    );
  });
});
