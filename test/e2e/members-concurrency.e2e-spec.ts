import { bearer, loginAsSuperAdmin, Session } from '../harness/auth.js';
import { createMember, memberInput, validIdNumber } from '../harness/members.js';
import { startTestContext, TestContext } from '../harness/test-app.js';

describe('members under concurrency (e2e)', () => {
  let t: TestContext;
  let admin: Session;

  beforeAll(async () => {
    t = await startTestContext();
    admin = await loginAsSuperAdmin(t.app);
  });
  afterAll(() => t?.close());

  const http = () => t.app.http();

  it('gives parallel creations unique, well-formed membership numbers', async () => {
    const results = await Promise.all(
      Array.from({ length: 24 }, () =>
        http()
          .post('/api/v1/members')
          .set(...bearer(admin))
          .send(memberInput({ joinedOn: '2025-05-01' })),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(24).fill(201));
    const numbers = results.map((r) => r.body.membershipNumber as string);
    expect(new Set(numbers).size).toBe(24);
    for (const n of numbers) expect(n).toMatch(/^EFF2025\d{7}$/);
  });

  it('creates one member when the same ID number is posted in parallel', async () => {
    const idNumber = validIdNumber();
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        http()
          .post('/api/v1/members')
          .set(...bearer(admin))
          .send(memberInput({ idNumber })),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409]);
    for (const r of results.filter((r) => r.status === 409))
      expect(r.body.code).toBe('DUPLICATE_ID_NUMBER');
    const { rows } = await t.db.pool.query(
      'SELECT count(*)::int AS n FROM members WHERE id_number = $1',
      [idNumber],
    );
    expect(rows[0].n).toBe(1);
  });

  it('lets exactly one of several updates with the same version through', async () => {
    const m = await createMember(t.app, admin);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        http()
          .patch(`/api/v1/members/${m.id}`)
          .set(...bearer(admin))
          .send({ version: m.version, firstNames: `Racer ${i}` }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409, 409, 409, 409, 409, 409, 409]);
    for (const r of results.filter((r) => r.status === 409))
      expect(r.body.code).toBe('VERSION_CONFLICT');
    const winner = results.find((r) => r.status === 200);
    const { rows } = await t.db.pool.query(
      'SELECT first_names, version FROM members WHERE id = $1',
      [m.id],
    );
    expect(rows[0]).toEqual({ first_names: winner?.body.firstNames, version: m.version + 1 });
    const history = await t.db.pool.query(
      `SELECT count(*)::int AS n FROM member_history WHERE member_id = $1 AND kind = 'updated'`,
      [m.id],
    );
    expect(history.rows[0].n).toBe(1);
  });

  it('records one renewal when the same payment reference is posted in parallel', async () => {
    const m = await createMember(t.app, admin);
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Africa/Johannesburg' }).format(
      new Date(),
    );
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        http()
          .post(`/api/v1/members/${m.id}/renewals`)
          .set(...bearer(admin))
          .send({ reason: 'Manual renewal in test', paidOn: today, reference: `RACE-${m.id}` }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
  });
});
