import { bearer, Session } from '../harness/auth.js';
import {
  FORBIDDEN,
  Matrix,
  PerTarget,
  Place,
  startMatrix,
  MATRIX_ROLES_WITH_FINANCE,
} from '../harness/matrix.js';
import { claimedMember } from '../harness/portal.js';
import { WARDS } from '../harness/members.js';

/**
 * Every card route x every role (incl. member) x a target in the caller's own area, a sibling area and the
 * parent's wider area (pattern: payments-authorization-matrix). Admin reads and revocations outside scope answer
 * 404 like other member routes; roles without cards:issue / cards:revoke get 403 before any lookup; the member's
 * own card is reached only through /me/card; verification and the keys are public.
 */
const ROLES = MATRIX_ROLES_WITH_FINANCE;
type Role = (typeof ROLES)[number];

interface Expected {
  myCard: number;
  memberCard: PerTarget;
  wardCards: PerTarget;
  revoke: PerTarget;
  keys: number;
  verify: number;
}

const PUBLIC = { keys: 200, verify: 200 };
const NATIONAL: Expected = {
  myCard: 403,
  memberCard: [200, 200, 200],
  wardCards: [200, 200, 200],
  revoke: [200, 200, 200],
  ...PUBLIC,
};
const AREA: Expected = {
  myCard: 403,
  memberCard: [200, 404, 404],
  wardCards: [200, 404, 404],
  revoke: [200, 404, 404],
  ...PUBLIC,
};
const NONE: Expected = {
  myCard: 403,
  memberCard: FORBIDDEN,
  wardCards: FORBIDDEN,
  revoke: FORBIDDEN,
  ...PUBLIC,
};

const EXPECTED: Record<Role, Expected> = {
  super_admin: NATIONAL,
  national_admin: NATIONAL,
  provincial_admin: AREA,
  regional_admin: AREA,
  subregional_admin: AREA,
  ward_admin: AREA,
  auditor: NONE,
  finance_officer: NONE,
  finance_officer_ward: NONE,
  // a member user with no member linked: its own card is 404, everything else of admins 403
  member: { ...NONE, myCard: 404 },
};

describe('cards: authorisation matrix (e2e)', () => {
  let m: Matrix<Role>;
  let linked: Session;
  /** Not a card: verification answers 200 `unknown` to everyone. */
  const token = 'x.y.z';

  beforeAll(async () => {
    m = await startMatrix(ROLES, { MESSAGING_DISPATCH_INTERVAL_MS: '0' });
    ({ session: linked } = await claimedMember(m.t.app, m.t.db, m.admin));
    const card = await http()
      .get(`/api/v1/members/${m.members.own}/card`)
      .set(...bearer(m.admin))
      .expect(200);
    expect(card.headers['content-type']).toBe('application/pdf');
  }, 180_000);
  afterAll(() => m?.t.close());

  const http = () => m.t.app.http();

  it('refuses every card route but the public ones without a token (401)', async () => {
    const calls = [
      http().get('/api/v1/me/card'),
      http().get(`/api/v1/members/${m.members.own}/card`),
      http().post(`/api/v1/members/${m.members.own}/card/revoke`).send({ reason: 'No token' }),
      http().get(`/api/v1/wards/${WARDS.own}/cards`),
    ];
    for (const res of await Promise.all(calls)) expect(res.status).toBe(401);
    await http().get('/api/v1/cards/keys').expect(200);
    await http().get('/api/v1/cards/verify').query({ token }).expect(200);
  });

  it('a member with a linked membership gets only their own card', async () => {
    const b = bearer(linked);
    const mine = await http()
      .get('/api/v1/me/card')
      .set(...b)
      .expect(200);
    expect(mine.headers['content-type']).toBe('application/pdf');
    const places: Place[] = ['own', 'siblingWard', 'siblingMunicipality'];
    for (const p of places) {
      await http()
        .get(`/api/v1/members/${m.members[p]}/card`)
        .set(...b)
        .expect(403);
      await http()
        .get(`/api/v1/wards/${WARDS[p]}/cards`)
        .set(...b)
        .expect(403);
      await http()
        .post(`/api/v1/members/${m.members[p]}/card/revoke`)
        .set(...b)
        .send({ reason: 'Not allowed' })
        .expect(403);
    }
  });

  it.each(ROLES)('%s', async (role) => {
    const b = bearer(m.sessions[role]);
    const perTarget = (fn: (p: Place) => Promise<number>) => m.perTarget(role, fn);
    const actual: Expected = {
      myCard: (
        await http()
          .get('/api/v1/me/card')
          .set(...b)
      ).status,
      memberCard: await perTarget(
        async (p) =>
          (
            await http()
              .get(`/api/v1/members/${m.members[p]}/card`)
              .set(...b)
          ).status,
      ),
      wardCards: await perTarget(
        async (p) =>
          (
            await http()
              .get(`/api/v1/wards/${WARDS[p]}/cards`)
              .set(...b)
          ).status,
      ),
      revoke: await perTarget(
        async (p) =>
          (
            await http()
              .post(`/api/v1/members/${m.members[p]}/card/revoke`)
              .set(...b)
              .send({ reason: `By ${role}` })
          ).status,
      ),
      keys: (
        await http()
          .get('/api/v1/cards/keys')
          .set(...b)
      ).status,
      verify: (
        await http()
          .get('/api/v1/cards/verify')
          .query({ token })
          .set(...b)
      ).status,
    };
    expect(actual).toEqual(EXPECTED[role]);
  });
});
