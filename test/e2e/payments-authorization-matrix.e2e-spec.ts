import { randomBytes } from 'node:crypto';
import { bearer } from '../harness/auth.js';
import {
  FORBIDDEN,
  Matrix,
  MATRIX_ROLES_WITH_FINANCE,
  PerTarget,
  Place,
  startMatrix,
} from '../harness/matrix.js';

/**
 * Every payments route x every role (incl. finance_officer) x a target in the caller's own area, a sibling area
 * and the parent's wider area (pattern: members-authorization-matrix). Reads outside scope answer 404; a
 * decision on a payment outside scope answers 403; recording for a member outside scope answers 404 (the
 * member's rule); roles without the permission get 403 before any lookup. Payments to decide are recorded by
 * the super admin, so the four-eyes rule never hides the scope answer (the super admin's own row is 403).
 */
const ROLES = MATRIX_ROLES_WITH_FINANCE;
type Role = (typeof ROLES)[number];

interface Expected {
  list: number;
  record: PerTarget;
  get: PerTarget;
  verify: PerTarget;
  reject: PerTarget;
  checkout: PerTarget;
  manualRenewal: PerTarget;
}

/** PayFast is not configured in this file: a checkout inside scope answers 503 (outside: 404), nothing written. */
const NATIONAL: Expected = {
  list: 200,
  record: [201, 201, 201],
  get: [200, 200, 200],
  verify: [200, 200, 200],
  reject: [200, 200, 200],
  checkout: [503, 503, 503],
  manualRenewal: [201, 201, 201],
};
const AREA: Expected = {
  list: 200,
  record: [201, 404, 404],
  get: [200, 404, 404],
  verify: [200, 403, 403],
  reject: [200, 403, 403],
  checkout: [503, 404, 404],
  manualRenewal: FORBIDDEN,
};

const EXPECTED: Record<Role, Expected> = {
  // the super admin recorded every payment it would decide: four eyes
  super_admin: { ...NATIONAL, verify: FORBIDDEN, reject: FORBIDDEN },
  national_admin: NATIONAL,
  provincial_admin: AREA,
  regional_admin: AREA,
  subregional_admin: AREA,
  ward_admin: AREA,
  finance_officer: AREA,
  finance_officer_ward: AREA,
  auditor: {
    list: 200,
    record: FORBIDDEN,
    get: [200, 404, 404],
    verify: FORBIDDEN,
    reject: FORBIDDEN,
    checkout: FORBIDDEN,
    manualRenewal: FORBIDDEN,
  },
  member: {
    list: 403,
    record: FORBIDDEN,
    get: FORBIDDEN,
    verify: FORBIDDEN,
    reject: FORBIDDEN,
    checkout: FORBIDDEN,
    manualRenewal: FORBIDDEN,
  },
};

describe('payments: authorisation matrix (e2e)', () => {
  let m: Matrix<Role>;
  const today = new Date().toISOString().slice(0, 10);

  beforeAll(async () => {
    m = await startMatrix(ROLES);
  }, 120_000);
  afterAll(() => m?.t.close());

  const http = () => m.t.app.http();
  const ref = (): string => `M-${randomBytes(6).toString('hex')}`;

  /** A pending payment for the place's member, recorded by the super admin. */
  async function pending(place: Place): Promise<string> {
    const res = await http()
      .post('/api/v1/payments')
      .set(...bearer(m.admin))
      .send({ memberId: m.members[place], method: 'cash', paidOn: today, reference: ref() })
      .expect(201);
    return (res.body as { id: string }).id;
  }

  it('refuses every payments route without a token (401), except the gateway notification', async () => {
    const id = await pending('own');
    const calls = [
      http().get('/api/v1/payments'),
      http().get(`/api/v1/payments/${id}`),
      http().post('/api/v1/payments').send({}),
      http().post(`/api/v1/payments/${id}/verify`),
      http().post(`/api/v1/payments/${id}/reject`).send({ reason: 'x' }),
      http().post('/api/v1/payments/checkouts').send({ memberId: m.members.own }),
    ];
    for (const res of await Promise.all(calls)) expect(res.status).toBe(401);
    // public, but refused: no signature, PayFast not configured
    await http()
      .post('/api/v1/payments/payfast/notifications')
      .type('form')
      .send({ a: 'b' })
      .expect(400);
  });

  it.each(ROLES)('%s', async (role) => {
    const b = bearer(m.sessions[role]);
    const perTarget = (fn: (p: Place) => Promise<number>) => m.perTarget(role, fn);
    const actual: Expected = {
      list: (
        await http()
          .get('/api/v1/payments')
          .set(...b)
      ).status,
      record: await perTarget(
        async (p) =>
          (
            await http()
              .post('/api/v1/payments')
              .set(...b)
              .send({ memberId: m.members[p], method: 'eft', paidOn: today, reference: ref() })
          ).status,
      ),
      get: await perTarget(
        async (p) =>
          (
            await http()
              .get(`/api/v1/payments/${await pending(p)}`)
              .set(...b)
          ).status,
      ),
      verify: await perTarget(
        async (p) =>
          (
            await http()
              .post(`/api/v1/payments/${await pending(p)}/verify`)
              .set(...b)
          ).status,
      ),
      reject: await perTarget(
        async (p) =>
          (
            await http()
              .post(`/api/v1/payments/${await pending(p)}/reject`)
              .set(...b)
              .send({ reason: `By ${role}` })
          ).status,
      ),
      checkout: await perTarget(
        async (p) =>
          (
            await http()
              .post('/api/v1/payments/checkouts')
              .set(...b)
              .send({ memberId: m.members[p] })
          ).status,
      ),
      manualRenewal: await perTarget(
        async (p) =>
          (
            await http()
              .post(`/api/v1/members/${m.members[p]}/renewals`)
              .set(...b)
              .send({ paidOn: today, reference: ref(), reason: `By ${role}` })
          ).status,
      ),
    };
    expect(actual).toEqual(EXPECTED[role]);
  });
});
