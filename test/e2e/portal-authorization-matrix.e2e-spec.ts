import { bearer, Session } from '../harness/auth.js';
import { createMember, WARDS } from '../harness/members.js';
import {
  FORBIDDEN,
  Matrix,
  PerTarget,
  Place,
  startMatrix,
  MATRIX_ROLES_WITH_FINANCE,
} from '../harness/matrix.js';
import { memberSession } from '../harness/portal.js';

/**
 * The portal's routes x every role (incl. member and finance_officer), with the shared matrix frame.
 * - Member-facing routes (/me/...): only the member role passes the permission check; the matrix's member
 *   account has no linked member, so it gets 404 (a linked member is checked below). Admins: 403.
 * - Transfer-request admin routes, per target: a pending request INTO the place's ward from a KwaZulu-Natal ward
 *   (outside every non-national matrix user's area). Reads and decisions outside the caller's area answer 404;
 *   roles without members:read / members:write get 403 before any lookup.
 * - A linked member gets 403, never data, on every route that needs an admin permission (from /docs-json).
 */
const ROLES = MATRIX_ROLES_WITH_FINANCE;
type Role = (typeof ROLES)[number];

/** A KwaZulu-Natal ward: the source of every request below. */
const SOURCE_WARD = '52102001';

interface Expected {
  myMembership: number;
  myRequests: number;
  askTransfer: number;
  renew: number;
  list: number;
  get: PerTarget;
  approve: PerTarget;
  reject: PerTarget;
}

const ADMIN_ME = { myMembership: 403, myRequests: 403, askTransfer: 403, renew: 403 };
const NATIONAL: Expected = {
  ...ADMIN_ME,
  list: 200,
  get: [200, 200, 200],
  approve: [200, 200, 200],
  reject: [200, 200, 200],
};
const AREA: Expected = {
  ...ADMIN_ME,
  list: 200,
  get: [200, 404, 404],
  approve: [200, 404, 404],
  reject: [200, 404, 404],
};
const READ_ONLY: Expected = { ...AREA, approve: FORBIDDEN, reject: FORBIDDEN };

const EXPECTED: Record<Role, Expected> = {
  super_admin: NATIONAL,
  national_admin: NATIONAL,
  provincial_admin: AREA,
  regional_admin: AREA,
  subregional_admin: AREA,
  ward_admin: AREA,
  auditor: READ_ONLY,
  finance_officer: READ_ONLY,
  finance_officer_ward: READ_ONLY,
  // permitted, but the account has no member: 404, nothing created
  member: {
    myMembership: 404,
    myRequests: 404,
    askTransfer: 404,
    renew: 404,
    list: 403,
    get: FORBIDDEN,
    approve: FORBIDDEN,
    reject: FORBIDDEN,
  },
};

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

describe('member portal: authorisation matrix (e2e)', () => {
  let m: Matrix<Role>;
  let sourceChain: { municipality_code: string; district_code: string; province_code: string };
  let chains: Record<
    string,
    { municipality_code: string; district_code: string; province_code: string }
  >;

  beforeAll(async () => {
    m = await startMatrix(ROLES);
    const { rows } = await m.t.db.pool.query<{
      code: string;
      municipality_code: string;
      district_code: string;
      province_code: string;
    }>(
      'SELECT code, municipality_code, district_code, province_code FROM wards WHERE code = ANY($1)',
      [[SOURCE_WARD, ...Object.values(WARDS)]],
    );
    chains = Object.fromEntries(rows.map((r) => [r.code, r]));
    const source = chains[SOURCE_WARD];
    if (!source) throw new Error(`no ward ${SOURCE_WARD}`);
    sourceChain = source;
  }, 120_000);
  afterAll(() => m?.t.close());

  const http = () => m.t.app.http();

  /**
   * A pending request of a new KwaZulu-Natal member to move into the place's ward. Arranged in the database: the
   * member-facing route that makes it is covered in portal-transfers.e2e-spec.ts.
   */
  async function pending(place: Place): Promise<string> {
    const member = await createMember(m.t.app, m.admin, { wardCode: SOURCE_WARD });
    const to = chains[WARDS[place]];
    if (!to) throw new Error(`no ward ${WARDS[place]}`);
    const { rows } = await m.t.db.pool.query<{ id: string }>(
      `INSERT INTO member_transfer_requests (member_id, reason, from_ward_code, from_municipality_code,
          from_district_code, from_province_code, ward_code, municipality_code, district_code, province_code,
          requested_by)
       VALUES ($1, 'Moved', $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
      [
        member.id,
        SOURCE_WARD,
        sourceChain.municipality_code,
        sourceChain.district_code,
        sourceChain.province_code,
        WARDS[place],
        to.municipality_code,
        to.district_code,
        to.province_code,
        m.admin.userId,
      ],
    );
    return rows[0]!.id;
  }

  it('refuses every portal and transfer-request route without a token (401)', async () => {
    const id = await pending('own');
    const calls = [
      http().get('/api/v1/me/membership'),
      http().get('/api/v1/me/transfer-requests'),
      http().post('/api/v1/me/transfer-requests').send({ toWardCode: WARDS.own, reason: 'x' }),
      http().post(`/api/v1/me/transfer-requests/${id}/cancel`),
      http().post('/api/v1/me/renewals/checkout'),
      http().get('/api/v1/transfer-requests'),
      http().get(`/api/v1/transfer-requests/${id}`),
      http().post(`/api/v1/transfer-requests/${id}/approve`).send({}),
      http().post(`/api/v1/transfer-requests/${id}/reject`).send({ reason: 'x' }),
    ];
    for (const res of await Promise.all(calls)) expect(res.status).toBe(401);
  });

  it.each(ROLES)('%s', async (role) => {
    const b = bearer(m.sessions[role]);
    const perTarget = (fn: (p: Place) => Promise<number>) => m.perTarget(role, fn);
    const actual: Expected = {
      myMembership: (
        await http()
          .get('/api/v1/me/membership')
          .set(...b)
      ).status,
      myRequests: (
        await http()
          .get('/api/v1/me/transfer-requests')
          .set(...b)
      ).status,
      askTransfer: (
        await http()
          .post('/api/v1/me/transfer-requests')
          .set(...b)
          .send({ toWardCode: WARDS.siblingWard, reason: `By ${role}` })
      ).status,
      renew: (
        await http()
          .post('/api/v1/me/renewals/checkout')
          .set(...b)
      ).status,
      list: (
        await http()
          .get('/api/v1/transfer-requests')
          .set(...b)
      ).status,
      get: await perTarget(
        async (p) =>
          (
            await http()
              .get(`/api/v1/transfer-requests/${await pending(p)}`)
              .set(...b)
          ).status,
      ),
      approve: await perTarget(
        async (p) =>
          (
            await http()
              .post(`/api/v1/transfer-requests/${await pending(p)}/approve`)
              .set(...b)
              .send({})
          ).status,
      ),
      reject: await perTarget(
        async (p) =>
          (
            await http()
              .post(`/api/v1/transfer-requests/${await pending(p)}/reject`)
              .set(...b)
              .send({ reason: `By ${role}` })
          ).status,
      ),
    };
    expect(actual).toEqual(EXPECTED[role]);
  });

  it('lists only requests whose destination or source lies in the caller area', async () => {
    const ids = { own: await pending('own'), otherProvince: await pending('otherProvince') };
    const listed = async (session: Session): Promise<string[]> => {
      const res = await http()
        .get('/api/v1/transfer-requests?limit=100&status=pending')
        .set(...bearer(session))
        .expect(200);
      return (res.body.data as { id: string }[]).map((r) => r.id);
    };
    const ward = await listed(m.sessions.ward_admin);
    expect(ward).toContain(ids.own);
    expect(ward).not.toContain(ids.otherProvince);
    const national = await listed(m.sessions.national_admin);
    expect(national).toEqual(expect.arrayContaining([ids.own, ids.otherProvince]));
  });

  it('a linked member uses the portal, and gets 403 (never data) on every route that needs an admin permission', async () => {
    const member = await createMember(m.t.app, m.admin, { wardCode: WARDS.own });
    const session = await memberSession(m.t.app, m.admin, member.id, WARDS.own);
    const b = bearer(session);
    await http()
      .get('/api/v1/me/membership')
      .set(...b)
      .expect(200);
    await http()
      .get('/api/v1/me/transfer-requests')
      .set(...b)
      .expect(200);
    await http()
      .post('/api/v1/me/transfer-requests')
      .set(...b)
      .send({ toWardCode: WARDS.siblingWard, reason: 'Moved' })
      .expect(201);
    await http()
      .post('/api/v1/me/renewals/checkout')
      .set(...b)
      .expect(202);

    const doc = await http().get('/docs-json').expect(200);
    const routes = Object.entries(
      doc.body.paths as Record<string, Record<string, { 'x-required-permission'?: string }>>,
    ).flatMap(([path, ops]) =>
      METHODS.filter((method) => ops[method]).map((method) => ({
        method,
        path,
        permission: ops[method]?.['x-required-permission'] ?? 'public',
      })),
    );
    const adminRoutes = routes.filter(
      (r) => !['public', 'authenticated', 'me:read', 'me:write'].includes(r.permission),
    );
    expect(adminRoutes.length).toBeGreaterThan(50);
    const answers: string[] = [];
    for (const { method, path } of adminRoutes) {
      // every path parameter is the member's own id: still refused before any lookup
      const url = path.replace(/\{[^}]+\}/g, member.id);
      const res = await http()
        [method](url)
        .set(...b)
        .send(method === 'get' ? undefined : {});
      answers.push(`${method.toUpperCase()} ${path} ${res.status}`);
      if (res.status === 403)
        expect(JSON.stringify(res.body)).not.toContain(member.membershipNumber);
    }
    expect(answers.filter((a) => !a.endsWith(' 403'))).toEqual([]);
  });
});
