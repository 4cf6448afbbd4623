import { randomBytes } from 'node:crypto';
import { bearer, createUser, loginAsSuperAdmin, Session } from '../harness/auth.js';
import { createMember, WARDS } from '../harness/members.js';
import { startTestContext, TestContext } from '../harness/test-app.js';

/**
 * Every payments route x every role (incl. finance_officer) x a target in the caller's own area, a sibling area
 * and the parent's wider area (pattern: members-authorization-matrix). Reads outside scope answer 404; a
 * decision on a payment outside scope answers 403; recording for a member outside scope answers 404 (the
 * member's rule); roles without the permission get 403 before any lookup. Payments to decide are recorded by
 * the super admin, so the four-eyes rule never hides the scope answer (the super admin's own row is 403).
 */
type Place = keyof typeof WARDS;
type Role =
  | 'super_admin'
  | 'national_admin'
  | 'provincial_admin'
  | 'regional_admin'
  | 'subregional_admin'
  | 'ward_admin'
  | 'auditor'
  | 'member'
  | 'finance_officer'
  | 'finance_officer_ward';

const USERS: Record<
  Role,
  { role: string; level: string; code: string | null; own: Place; sibling: Place; parent: Place }
> = {
  super_admin: {
    role: 'super_admin',
    level: 'national',
    code: null,
    own: 'own',
    sibling: 'otherProvince',
    parent: 'siblingDistrict',
  },
  national_admin: {
    role: 'national_admin',
    level: 'national',
    code: null,
    own: 'own',
    sibling: 'otherProvince',
    parent: 'siblingDistrict',
  },
  provincial_admin: {
    role: 'provincial_admin',
    level: 'province',
    code: 'GP',
    own: 'own',
    sibling: 'otherProvince',
    parent: 'otherProvince',
  },
  regional_admin: {
    role: 'regional_admin',
    level: 'district',
    code: 'DC42',
    own: 'own',
    sibling: 'siblingDistrict',
    parent: 'otherProvince',
  },
  subregional_admin: {
    role: 'subregional_admin',
    level: 'municipality',
    code: 'GT421',
    own: 'own',
    sibling: 'siblingMunicipality',
    parent: 'siblingDistrict',
  },
  ward_admin: {
    role: 'ward_admin',
    level: 'ward',
    code: WARDS.own,
    own: 'own',
    sibling: 'siblingWard',
    parent: 'siblingMunicipality',
  },
  auditor: {
    role: 'auditor',
    level: 'province',
    code: 'GP',
    own: 'own',
    sibling: 'otherProvince',
    parent: 'otherProvince',
  },
  member: {
    role: 'member',
    level: 'ward',
    code: WARDS.own,
    own: 'own',
    sibling: 'siblingWard',
    parent: 'siblingMunicipality',
  },
  finance_officer: {
    role: 'finance_officer',
    level: 'district',
    code: 'DC42',
    own: 'own',
    sibling: 'siblingDistrict',
    parent: 'otherProvince',
  },
  finance_officer_ward: {
    role: 'finance_officer',
    level: 'ward',
    code: WARDS.own,
    own: 'own',
    sibling: 'siblingWard',
    parent: 'siblingMunicipality',
  },
};

type PerTarget = [own: number, sibling: number, parent: number];
interface Expected {
  list: number;
  record: PerTarget;
  get: PerTarget;
  verify: PerTarget;
  reject: PerTarget;
  checkout: PerTarget;
  manualRenewal: PerTarget;
}

const FORBIDDEN: PerTarget = [403, 403, 403];
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
  let t: TestContext;
  let admin: Session;
  const sessions = {} as Record<Role, Session>;
  const targets = {} as Record<Place, string>;
  const today = new Date().toISOString().slice(0, 10);

  beforeAll(async () => {
    t = await startTestContext({ STATUS_RECALC_CRON: 'off', AUTH_THROTTLE_LIMIT: '1000' });
    admin = await loginAsSuperAdmin(t.app);
    for (const [key, u] of Object.entries(USERS) as [Role, (typeof USERS)[Role]][]) {
      sessions[key] =
        key === 'super_admin' ? admin : await createUser(t.app, admin, u.role, u.level, u.code);
    }
    for (const place of Object.keys(WARDS) as Place[]) {
      targets[place] = (
        await createMember(t.app, admin, { wardCode: WARDS[place], surname: place })
      ).id;
    }
  }, 120_000);
  afterAll(() => t?.close());

  const http = () => t.app.http();
  const ref = (): string => `M-${randomBytes(6).toString('hex')}`;

  /** A pending payment for the place's member, recorded by the super admin. */
  async function pending(place: Place): Promise<string> {
    const res = await http()
      .post('/api/v1/payments')
      .set(...bearer(admin))
      .send({ memberId: targets[place], method: 'cash', paidOn: today, reference: ref() })
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
      http().post('/api/v1/payments/checkouts').send({ memberId: targets.own }),
    ];
    for (const res of await Promise.all(calls)) expect(res.status).toBe(401);
    // public, but refused: no signature, PayFast not configured
    await http()
      .post('/api/v1/payments/payfast/notifications')
      .type('form')
      .send({ a: 'b' })
      .expect(400);
  });

  it.each(Object.keys(USERS) as Role[])('%s', async (role) => {
    const u = USERS[role];
    const b = bearer(sessions[role]);
    const places: Place[] = [u.own, u.sibling, u.parent];
    const perTarget = async (fn: (p: Place) => Promise<number>): Promise<PerTarget> => {
      const out: number[] = [];
      for (const p of places) out.push(await fn(p));
      return out as PerTarget;
    };
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
              .send({ memberId: targets[p], method: 'eft', paidOn: today, reference: ref() })
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
              .send({ memberId: targets[p] })
          ).status,
      ),
      manualRenewal: await perTarget(
        async (p) =>
          (
            await http()
              .post(`/api/v1/members/${targets[p]}/renewals`)
              .set(...b)
              .send({ paidOn: today, reference: ref(), reason: `By ${role}` })
          ).status,
      ),
    };
    expect(actual).toEqual(EXPECTED[role]);
  });
});
