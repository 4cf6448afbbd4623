import { bearer, createUser, loginAsSuperAdmin, Session } from '../harness/auth.js';
import { createMember } from '../harness/members.js';
import {
  RunningApp,
  startApp,
  startTestContext,
  TestContext,
  testRedisUrl,
} from '../harness/test-app.js';

/** Each member: the expiry (days relative to today) and status we arrange, and the status expected after. */
const CASES = {
  activeNotExpired: { days: 0, status: 'active', expected: 'active' },
  activeFuture: { days: 300, status: 'active', expected: 'active' },
  activeOneDayPast: { days: -1, status: 'active', expected: 'grace_period' },
  activeNinetyDaysPast: { days: -90, status: 'active', expected: 'grace_period' },
  activeNinetyOneDaysPast: { days: -91, status: 'active', expected: 'expired' },
  graceStillInGrace: { days: -10, status: 'grace_period', expected: 'grace_period' },
  graceTooLong: { days: -200, status: 'grace_period', expected: 'expired' },
  expiredStays: { days: -400, status: 'expired', expected: 'expired' },
  suspended: { days: -400, status: 'suspended', expected: 'suspended' },
  cancelled: { days: -400, status: 'cancelled', expected: 'cancelled' },
  deceased: { days: -5, status: 'deceased', expected: 'deceased' },
  suspendedRecent: { days: -5, status: 'suspended', expected: 'suspended' },
} as const;

describe('daily member status recalculation (e2e)', () => {
  let t: TestContext;
  let second: RunningApp;
  let admin: Session;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    // two API processes sharing the database and Redis (sessions), as in production
    const env = {
      STATUS_RECALC_CRON: 'off',
      REDIS_URL: testRedisUrl(),
      REDIS_KEY_PREFIX: 'recalc-e2e:',
    };
    t = await startTestContext(env);
    second = await startApp(t.db, env);
    admin = await loginAsSuperAdmin(t.app);
    for (const [name, c] of Object.entries(CASES)) {
      const m = await createMember(t.app, admin, { firstNames: name });
      ids[name] = m.id;
      await t.db.pool.query(
        `UPDATE members SET status = $2,
                expires_on = ((now() AT TIME ZONE 'Africa/Johannesburg')::date + $3::int)
          WHERE id = $1`,
        [m.id, c.status, c.days],
      );
    }
  });
  afterAll(async () => {
    await second?.stop();
    await t?.close();
  });

  const statuses = async (): Promise<Record<string, string>> => {
    const { rows } = await t.db.pool.query<{ first_names: string; status: string }>(
      'SELECT first_names, status FROM members',
    );
    return Object.fromEntries(rows.map((r) => [r.first_names, r.status]));
  };

  it('is refused to anyone below national scope', async () => {
    const gp = await createUser(t.app, admin, 'provincial_admin', 'province', 'GP');
    const before = await statuses();
    const res = await t.app
      .http()
      .post('/api/v1/members/status-recalculations')
      .set(...bearer(gp))
      .expect(403);
    expect(res.body.code).toBe('FORBIDDEN');
    const auditor = await createUser(t.app, admin, 'auditor', 'national', null);
    await t.app
      .http()
      .post('/api/v1/members/status-recalculations')
      .set(...bearer(auditor))
      .expect(403);
    expect(await statuses()).toEqual(before);
  });

  it('moves Active -> Grace Period -> Expired by expiry date, leaving admin-set statuses alone, once', async () => {
    // two processes, several calls at the same moment: one runs, the others skip or find nothing to do
    const calls = await Promise.all([
      t.app
        .http()
        .post('/api/v1/members/status-recalculations')
        .set(...bearer(admin)),
      second
        .http()
        .post('/api/v1/members/status-recalculations')
        .set(...bearer(admin)),
      t.app
        .http()
        .post('/api/v1/members/status-recalculations')
        .set(...bearer(admin)),
      second
        .http()
        .post('/api/v1/members/status-recalculations')
        .set(...bearer(admin)),
    ]);
    expect(calls.map((c) => c.status)).toEqual([200, 200, 200, 200]);
    const totals = calls.reduce(
      (sum, c) => ({
        toGracePeriod: sum.toGracePeriod + (c.body.toGracePeriod as number),
        toExpired: sum.toExpired + (c.body.toExpired as number),
      }),
      { toGracePeriod: 0, toExpired: 0 },
    );
    expect(totals).toEqual({ toGracePeriod: 2, toExpired: 2 });

    const after = await statuses();
    expect(after).toEqual(
      Object.fromEntries(Object.entries(CASES).map(([name, c]) => [name, c.expected])),
    );
    const { rows } = await t.db.pool.query<{
      member_id: string;
      from_status: string;
      to_status: string;
      actor_user_id: string | null;
    }>(
      `SELECT member_id, from_status, to_status, actor_user_id FROM member_history
        WHERE kind = 'status_changed' ORDER BY id`,
    );
    expect(rows).toHaveLength(4);
    expect(new Set(rows.map((r) => r.member_id)).size).toBe(4);
    expect(rows).toEqual(
      expect.arrayContaining([
        {
          member_id: ids.activeOneDayPast,
          from_status: 'active',
          to_status: 'grace_period',
          actor_user_id: null,
        },
        {
          member_id: ids.graceTooLong,
          from_status: 'grace_period',
          to_status: 'expired',
          actor_user_id: null,
        },
      ]),
    );

    const again = await t.app
      .http()
      .post('/api/v1/members/status-recalculations')
      .set(...bearer(admin))
      .expect(200);
    expect(again.body).toMatchObject({ ran: true, toGracePeriod: 0, toExpired: 0 });
    expect(await statuses()).toEqual(after);
  });

  it('lets a renewal bring a recalculated member back', async () => {
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Africa/Johannesburg' }).format(
      new Date(),
    );
    const res = await t.app
      .http()
      .post(`/api/v1/members/${ids.activeNinetyOneDaysPast}/renewals`)
      .set(...bearer(admin))
      .send({
        reason: 'Manual renewal in test',
        paidOn: today,
        reference: 'RECALC-RENEW-1',
        amountCents: 2000,
      })
      .expect(201);
    expect(res.body.status).toBe('active');
  });

  it('runs on its own on the configured cron schedule', async () => {
    const m = await createMember(t.app, admin, { firstNames: 'cronMoved' });
    await t.db.pool.query(
      `UPDATE members SET expires_on = (now() AT TIME ZONE 'Africa/Johannesburg')::date - 3 WHERE id = $1`,
      [m.id],
    );
    const cron = await startApp(t.db, {
      STATUS_RECALC_CRON: '* * * * * *',
      REDIS_URL: testRedisUrl(),
      REDIS_KEY_PREFIX: 'recalc-e2e:',
    });
    try {
      let status = 'active';
      for (let i = 0; i < 50 && status === 'active'; i += 1) {
        await new Promise((r) => setTimeout(r, 200));
        const { rows } = await t.db.pool.query<{ status: string }>(
          'SELECT status FROM members WHERE id = $1',
          [m.id],
        );
        status = rows[0]?.status ?? 'missing';
      }
      expect(status).toBe('grace_period');
    } finally {
      await cron.stop();
    }
  });
});
