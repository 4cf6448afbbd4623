import { bearer, loginAsSuperAdmin, Session } from '../harness/auth.js';
import { insertMember, positionId, structureId } from '../harness/leadership-fixtures.js';
import {
  RunningApp,
  startApp,
  startTestContext,
  TestContext,
  testRedisUrl,
} from '../harness/test-app.js';

/**
 * Appointments racing for the same seat, sent at once to two API processes on one database: the structure row
 * lock (and behind it the exclusion constraints) lets exactly one through; the others get 409 naming the holder.
 */
describe('leadership concurrency (e2e)', () => {
  let ctx: TestContext;
  let second: RunningApp;
  let admin: Session;

  beforeAll(async () => {
    // Both processes share Redis (sessions), as production replicas do.
    const env = { REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: 'leadership-concurrency-e2e:' };
    ctx = await startTestContext(env);
    second = await startApp(ctx.db, env);
    admin = await loginAsSuperAdmin(ctx.app);
  });
  afterAll(async () => {
    await second?.stop();
    await ctx?.close();
  });

  const appoint = (app: RunningApp, body: object) =>
    app
      .http()
      .post('/api/v1/leadership/appointments')
      .set(...bearer(admin))
      .send(body);

  it('N members for one single-holder seat at once: exactly one 201, the rest 409 naming the holder', async () => {
    const ward = '79800001'; // JHB ward 1
    const structure = await structureId(ctx.db.pool, 'bct', ward);
    const position = await positionId(ctx.db.pool, 'bct', 'treasurer');
    const members = await Promise.all(
      Array.from({ length: 10 }, () => insertMember(ctx.db.pool, ward)),
    );
    const results = await Promise.all(
      members.map((m, i) =>
        appoint(i % 2 === 0 ? ctx.app : second, {
          structureId: structure,
          positionId: position,
          memberId: m.id,
          kind: 'elected',
        }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(members.length - 1);

    const winner = results.find((r) => r.status === 201)?.body as {
      member: { id: string; membershipNumber: string; firstNames: string; surname: string };
    };
    for (const loser of results.filter((r) => r.status === 409)) {
      expect(loser.body.code).toBe('SEAT_TAKEN');
      expect(loser.body.detail).toContain(winner.member.membershipNumber);
      expect(loser.body.detail).toContain(`${winner.member.firstNames} ${winner.member.surname}`);
      expect(loser.body.holder).toMatchObject({ memberId: winner.member.id });
    }
    const held = await ctx.db.pool.query(
      'SELECT member_id FROM leadership_appointments WHERE structure_id = $1 AND position_id = $2',
      [structure, position],
    );
    expect(held.rows).toEqual([{ member_id: winner.member.id }]);
  });

  it('a multi-seat position never gets more holders than seats, however many arrive at once', async () => {
    const ward = '79800002';
    const structure = await structureId(ctx.db.pool, 'bct', ward);
    const position = await positionId(ctx.db.pool, 'bct', 'additional_member');
    const seats = (
      await ctx.db.pool.query<{ seats: number }>(
        'SELECT seats FROM leadership_positions WHERE id = $1',
        [position],
      )
    ).rows[0]?.seats;
    if (!seats) throw new Error('no seats');
    const members = await Promise.all(
      Array.from({ length: seats + 4 }, () => insertMember(ctx.db.pool, ward)),
    );
    const results = await Promise.all(
      members.map((m, i) =>
        appoint(i % 2 === 0 ? ctx.app : second, {
          structureId: structure,
          positionId: position,
          memberId: m.id,
          kind: 'elected',
        }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(seats);
    expect(statuses.filter((s) => s === 409)).toHaveLength(4);
    const count = await ctx.db.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM leadership_appointments WHERE structure_id = $1 AND position_id = $2',
      [structure, position],
    );
    expect(count.rows[0]?.n).toBe(seats);
  });

  it('one member for two positions of one structure at once: one 201, one 409 ALREADY_IN_STRUCTURE', async () => {
    const ward = '79800003';
    const structure = await structureId(ctx.db.pool, 'bct', ward);
    const member = await insertMember(ctx.db.pool, ward);
    const results = await Promise.all(
      ['secretary', 'organiser'].map(async (code, i) =>
        appoint(i === 0 ? ctx.app : second, {
          structureId: structure,
          positionId: await positionId(ctx.db.pool, 'bct', code),
          memberId: member.id,
          kind: 'elected',
        }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(results.find((r) => r.status === 409)?.body.code).toBe('ALREADY_IN_STRUCTURE');
  });
});
