import { randomBytes } from 'node:crypto';
import { bearer } from '../harness/auth.js';
import { financiallyReviewed } from '../harness/applications.js';
import {
  FORBIDDEN,
  Matrix,
  MATRIX_ROLES,
  MATRIX_USERS,
  PerTarget,
  Place,
  startMatrix,
} from '../harness/matrix.js';
import { insertApplication, memberInput, WARDS } from '../harness/members.js';

/**
 * Every member and application route x every role x a target in the caller's own area, a sibling area (same
 * parent, other area of the caller's level) and the parent's wider area (outside the parent): the shared frame of
 * test/harness/matrix.ts.
 * Reads outside scope answer 404 (no existence leak); a visible member moved to a ward outside scope is 403;
 * roles without the permission get 403 before any lookup.
 */
type Role = (typeof MATRIX_ROLES)[number];

/** Transfers go to 74201002 (GT421, DC42, GP): inside every admin area of the own target except the ward's. */
const TRANSFER_TO = WARDS.siblingWard;

interface Expected {
  list: number;
  listApplications: number;
  recalculate: number;
  submitApplication: number;
  create: PerTarget;
  get: PerTarget;
  update: PerTarget;
  status: PerTarget;
  renew: PerTarget;
  transfer: PerTarget;
  history: PerTarget;
  getApplication: PerTarget;
  review: PerTarget;
  approve: PerTarget;
  reject: PerTarget;
}

const EVERYWHERE: Omit<Expected, 'recalculate'> = {
  list: 200,
  listApplications: 200,
  submitApplication: 202,
  create: [201, 201, 201],
  get: [200, 200, 200],
  update: [200, 200, 200],
  status: [200, 200, 200],
  renew: [201, 201, 201],
  transfer: [200, 200, 200],
  history: [200, 200, 200],
  getApplication: [200, 200, 200],
  review: [200, 200, 200],
  approve: [201, 201, 201],
  reject: [200, 200, 200],
};
const AREA_ADMIN: Expected = {
  list: 200,
  listApplications: 200,
  recalculate: 403,
  submitApplication: 202,
  create: [201, 403, 403],
  get: [200, 404, 404],
  update: [200, 404, 404],
  status: [200, 404, 404],
  // manual renewals are for national admins only (members:manual_renewal); others record payments
  renew: FORBIDDEN,
  transfer: [200, 404, 404],
  history: [200, 404, 404],
  getApplication: [200, 404, 404],
  review: [200, 404, 404],
  approve: [201, 404, 404],
  reject: [200, 404, 404],
};
const EXPECTED: Record<Role, Expected> = {
  super_admin: { ...EVERYWHERE, recalculate: 200 },
  national_admin: { ...EVERYWHERE, recalculate: 200 },
  provincial_admin: AREA_ADMIN,
  regional_admin: AREA_ADMIN,
  subregional_admin: AREA_ADMIN,
  // the ward admin's area holds one ward, so a transfer of its own member must leave it: 403
  ward_admin: { ...AREA_ADMIN, transfer: [403, 404, 404] },
  auditor: {
    list: 200,
    listApplications: 200,
    recalculate: 403,
    submitApplication: 202,
    create: FORBIDDEN,
    get: [200, 404, 404],
    update: FORBIDDEN,
    status: FORBIDDEN,
    renew: FORBIDDEN,
    transfer: FORBIDDEN,
    history: [200, 404, 404],
    getApplication: [200, 404, 404],
    review: FORBIDDEN,
    approve: FORBIDDEN,
    reject: FORBIDDEN,
  },
  member: {
    list: 403,
    listApplications: 403,
    recalculate: 403,
    submitApplication: 202,
    create: FORBIDDEN,
    get: FORBIDDEN,
    update: FORBIDDEN,
    status: FORBIDDEN,
    renew: FORBIDDEN,
    transfer: FORBIDDEN,
    history: FORBIDDEN,
    getApplication: FORBIDDEN,
    review: FORBIDDEN,
    approve: FORBIDDEN,
    reject: FORBIDDEN,
  },
};

describe('members and applications: authorisation matrix (e2e)', () => {
  let m: Matrix<Role>;

  beforeAll(async () => {
    m = await startMatrix(MATRIX_ROLES);
  }, 120_000);
  afterAll(() => m?.t.close());

  const http = () => m.t.app.http();

  /** Puts a target member back where it started: active, in its ward. */
  async function reset(place: Place): Promise<void> {
    await m.t.db.pool.query(
      `UPDATE members m SET status = 'active', ward_code = w.code, municipality_code = w.municipality_code,
              district_code = w.district_code, province_code = w.province_code
         FROM wards w WHERE m.id = $1 AND w.code = $2`,
      [m.members[place], WARDS[place]],
    );
  }

  async function version(id: string): Promise<number> {
    const { rows } = await m.t.db.pool.query<{ version: number }>(
      'SELECT version FROM members WHERE id = $1',
      [id],
    );
    return rows[0]?.version ?? 0;
  }

  it('refuses every non-public route without a token (401)', async () => {
    const id = m.members.own;
    const app = await insertApplication(m.t.db.pool, WARDS.own);
    const calls = [
      http().get('/api/v1/members'),
      http().post('/api/v1/members').send(memberInput()),
      http().post('/api/v1/members/status-recalculations'),
      http().get(`/api/v1/members/${id}`),
      http().patch(`/api/v1/members/${id}`).send({ version: 1 }),
      http().post(`/api/v1/members/${id}/status`).send({ action: 'suspend', reason: 'x' }),
      http()
        .post(`/api/v1/members/${id}/renewals`)
        .send({ reason: 'Manual renewal in test', paidOn: '2025-01-01', reference: 'x' }),
      http().post(`/api/v1/members/${id}/transfer`).send({ toWardCode: TRANSFER_TO }),
      http().get(`/api/v1/members/${id}/history`),
      http().get('/api/v1/applications'),
      http().get(`/api/v1/applications/${app}`),
      http().post(`/api/v1/applications/${app}/review`),
      http().post(`/api/v1/applications/${app}/approve`),
      http().post(`/api/v1/applications/${app}/reject`).send({ reason: 'x' }),
    ];
    const statuses = (await Promise.all(calls)).map((r) => r.status);
    expect(statuses).toEqual(Array(calls.length).fill(401));
  });

  it.each(MATRIX_ROLES)('%s', async (role) => {
    // each call may move or suspend the target: put it back before the next
    const perTarget = (call: (place: Place) => Promise<number>): Promise<PerTarget> =>
      m.perTarget(role, async (place) => {
        const status = await call(place);
        await reset(place);
        return status;
      });
    const b = bearer(m.sessions[role]);
    const actual: Expected = {
      list: (
        await http()
          .get('/api/v1/members')
          .set(...b)
      ).status,
      listApplications: (
        await http()
          .get('/api/v1/applications')
          .set(...b)
      ).status,
      recalculate: (
        await http()
          .post('/api/v1/members/status-recalculations')
          .set(...b)
      ).status,
      submitApplication: (
        await http()
          .post('/api/v1/applications')
          .set(...b)
          .send({ ...memberInput(), consent: true })
      ).status,
      create: await perTarget(
        async (p) =>
          (
            await http()
              .post('/api/v1/members')
              .set(...b)
              .send(memberInput({ wardCode: WARDS[p] }))
          ).status,
      ),
      get: await perTarget(
        async (p) =>
          (
            await http()
              .get(`/api/v1/members/${m.members[p]}`)
              .set(...b)
          ).status,
      ),
      update: await perTarget(
        async (p) =>
          (
            await http()
              .patch(`/api/v1/members/${m.members[p]}`)
              .set(...b)
              .send({ version: await version(m.members[p]), firstNames: `By ${role}` })
          ).status,
      ),
      status: await perTarget(
        async (p) =>
          (
            await http()
              .post(`/api/v1/members/${m.members[p]}/status`)
              .set(...b)
              .send({ action: 'suspend', reason: `By ${role}` })
          ).status,
      ),
      renew: await perTarget(
        async (p) =>
          (
            await http()
              .post(`/api/v1/members/${m.members[p]}/renewals`)
              .set(...b)
              .send({
                reason: 'Manual renewal in test',
                paidOn: '2025-06-01',
                reference: randomBytes(8).toString('hex'),
              })
          ).status,
      ),
      transfer: await perTarget(
        async (p) =>
          (
            await http()
              .post(`/api/v1/members/${m.members[p]}/transfer`)
              .set(...b)
              .send({ toWardCode: p === 'siblingWard' ? WARDS.own : TRANSFER_TO })
          ).status,
      ),
      history: await perTarget(
        async (p) =>
          (
            await http()
              .get(`/api/v1/members/${m.members[p]}/history`)
              .set(...b)
          ).status,
      ),
      getApplication: await perTarget(async (p) => {
        const id = await insertApplication(m.t.db.pool, WARDS[p]);
        return (
          await http()
            .get(`/api/v1/applications/${id}`)
            .set(...b)
        ).status;
      }),
      review: await perTarget(async (p) => {
        const id = await insertApplication(m.t.db.pool, WARDS[p]);
        return (
          await http()
            .post(`/api/v1/applications/${id}/review`)
            .set(...b)
        ).status;
      }),
      approve: await perTarget(async (p) => {
        const id = await insertApplication(m.t.db.pool, WARDS[p]);
        await financiallyReviewed(m.t.db.pool, id);
        return (
          await http()
            .post(`/api/v1/applications/${id}/approve`)
            .set(...b)
        ).status;
      }),
      reject: await perTarget(async (p) => {
        const id = await insertApplication(m.t.db.pool, WARDS[p]);
        return (
          await http()
            .post(`/api/v1/applications/${id}/reject`)
            .set(...b)
            .send({ reason: 'No' })
        ).status;
      }),
    };
    expect(actual).toEqual(EXPECTED[role]);
  });

  it.each([
    'provincial_admin',
    'regional_admin',
    'subregional_admin',
    'ward_admin',
    'auditor',
  ] as const)('%s lists exactly the members and applications of its own area', async (role) => {
    const u = MATRIX_USERS[role];
    const column = {
      province: 'province_code',
      district: 'district_code',
      municipality: 'municipality_code',
      ward: 'ward_code',
    }[u.level];
    for (const table of ['members', 'membership_applications']) {
      const { rows } = await m.t.db.pool.query<{ id: string }>(
        `SELECT id FROM ${table} WHERE ${column} = $1`,
        [u.code],
      );
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: { status: number; body: { data: { id: string }[]; nextCursor: string | null } } =
          await http()
            .get(table === 'members' ? '/api/v1/members' : '/api/v1/applications')
            .query({ limit: 100, ...(cursor ? { cursor } : {}) })
            .set(...bearer(m.sessions[role]));
        expect(res.status).toBe(200);
        seen.push(...res.body.data.map((r) => r.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(rows.length).toBeGreaterThan(0);
      expect(seen.sort()).toEqual(rows.map((r) => r.id).sort());
    }
  });
});
