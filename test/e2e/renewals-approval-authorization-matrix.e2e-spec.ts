import { randomBytes } from 'node:crypto';
import { bearer, createUser, Session } from '../harness/auth.js';
import {
  FORBIDDEN,
  Matrix,
  PerTarget,
  Place,
  startMatrix,
  MATRIX_ROLES_WITH_FINANCE,
} from '../harness/matrix.js';
import { insertApplication, WARDS } from '../harness/members.js';

/**
 * The routes of #20's two-tier approval and bulk renewals x every role x a target in the caller's own area, a
 * sibling area and the parent's wider area (pattern: payments-authorization-matrix):
 * - POST /applications/{id}/financial-review (applications:financial_review: finance officers and national admins,
 *   not the area admins, who give the final approval): the joining fee is recorded and verified by two
 *   national finance officers outside the matrix, so separation of duties never hides the scope answer; outside
 *   scope 404 (an application read);
 * - POST /payments/imports (payments:record): the declared ward outside scope is 403;
 * - GET /payments/imports/{id}, /report and POST /retry: jobs uploaded by a ward admin of each place; outside
 *   scope 404; a job that did not fail answers the retry 409;
 * - the second tier on an application in financial_review (reviewed through the API by the national finance
 *   officer who verified its fee, never the caller): POST /applications/{id}/approve and /reject
 *   (applications:review, so finance officers and auditors get 403 before any lookup); outside scope 404.
 */
const ROLES = MATRIX_ROLES_WITH_FINANCE;
type Role = (typeof ROLES)[number];

interface Expected {
  financialReview: PerTarget;
  approve: PerTarget;
  rejectReviewed: PerTarget;
  upload: PerTarget;
  list: number;
  template: number;
  get: PerTarget;
  report: PerTarget;
  retry: PerTarget;
}

const NATIONAL: Expected = {
  financialReview: [200, 200, 200],
  approve: [201, 201, 201],
  rejectReviewed: [200, 200, 200],
  upload: [202, 202, 202],
  list: 200,
  template: 200,
  get: [200, 200, 200],
  report: [200, 200, 200],
  retry: [409, 409, 409],
};
const AREA: Expected = {
  financialReview: [200, 404, 404],
  approve: [201, 404, 404],
  rejectReviewed: [200, 404, 404],
  upload: [202, 403, 403],
  list: 200,
  template: 200,
  get: [200, 404, 404],
  report: [200, 404, 404],
  retry: [409, 404, 404],
};
/** Area admins give the final approval, never the financial review. */
const AREA_ADMIN: Expected = { ...AREA, financialReview: FORBIDDEN };
const NONE: Expected = {
  financialReview: FORBIDDEN,
  approve: FORBIDDEN,
  rejectReviewed: FORBIDDEN,
  upload: FORBIDDEN,
  list: 403,
  template: 403,
  get: FORBIDDEN,
  report: FORBIDDEN,
  retry: FORBIDDEN,
};

const EXPECTED: Record<Role, Expected> = {
  super_admin: NATIONAL,
  national_admin: NATIONAL,
  provincial_admin: AREA_ADMIN,
  regional_admin: AREA_ADMIN,
  subregional_admin: AREA_ADMIN,
  ward_admin: AREA_ADMIN,
  // finance officers give the first tier only: the final decision needs applications:review
  finance_officer: { ...AREA, approve: FORBIDDEN, rejectReviewed: FORBIDDEN },
  finance_officer_ward: { ...AREA, approve: FORBIDDEN, rejectReviewed: FORBIDDEN },
  auditor: NONE,
  member: NONE,
};

const HEADER = 'ID Number,Amount,Paid On,Reference,Method';

describe('two-tier approval and renewals imports: authorisation matrix (e2e)', () => {
  let m: Matrix<Role>;
  let recorder: Session;
  let verifier: Session;
  const idNumbers = {} as Record<Place, string>;
  const jobs = {} as Record<Place, string>;
  const today = new Date().toISOString().slice(0, 10);

  const http = () => m.t.app.http();
  const file = (place: Place): Buffer =>
    Buffer.from(
      `${HEADER}\n${idNumbers[place]},10.00,${today},M-${randomBytes(6).toString('hex')},cash\n`,
    );
  const upload = (by: Session, place: Place) =>
    http()
      .post('/api/v1/payments/imports')
      .set(...bearer(by))
      .field('wardCode', WARDS[place])
      .attach('file', file(place), 'renewals.csv');

  beforeAll(async () => {
    m = await startMatrix(ROLES);
    recorder = await createUser(m.t.app, m.admin, 'finance_officer', 'national', null);
    verifier = await createUser(m.t.app, m.admin, 'finance_officer', 'national', null);
    for (const place of Object.keys(WARDS) as Place[]) {
      const { rows } = await m.t.db.pool.query<{ id_number: string }>(
        'SELECT id_number FROM members WHERE id = $1',
        [m.members[place]],
      );
      idNumbers[place] = rows[0]!.id_number;
      const uploader = await createUser(m.t.app, m.admin, 'ward_admin', 'ward', WARDS[place]);
      const res = await upload(uploader, place).expect(202);
      jobs[place] = (res.body as { id: string }).id;
    }
  }, 180_000);
  afterAll(() => m?.t.close());

  /** An application of the place with a joining fee recorded and verified by the two outside users. */
  async function feePaid(place: Place): Promise<string> {
    const id = await insertApplication(m.t.db.pool, WARDS[place]);
    const res = await http()
      .post('/api/v1/payments')
      .set(...bearer(recorder))
      .send({
        applicationId: id,
        method: 'eft',
        paidOn: today,
        reference: `J-${randomBytes(6).toString('hex')}`,
      })
      .expect(201);
    await http()
      .post(`/api/v1/payments/${(res.body as { id: string }).id}/verify`)
      .set(...bearer(verifier))
      .expect(200);
    return id;
  }

  /** An application of the place in financial_review: fee verified and reviewed by the outside finance officer. */
  async function reviewed(place: Place): Promise<string> {
    const id = await feePaid(place);
    await http()
      .post(`/api/v1/applications/${id}/financial-review`)
      .set(...bearer(verifier))
      .expect(200);
    return id;
  }

  it('refuses every new route without a token (401)', async () => {
    const job = jobs.own;
    const calls = [
      http().post(`/api/v1/applications/${await feePaid('own')}/financial-review`),
      http().post(`/api/v1/applications/${await reviewed('own')}/approve`),
      http()
        .post(`/api/v1/applications/${await reviewed('own')}/reject`)
        .send({ reason: 'No' }),
      http().post('/api/v1/payments/imports').field('wardCode', WARDS.own),
      http().get('/api/v1/payments/imports'),
      http().get('/api/v1/payments/imports/template'),
      http().get(`/api/v1/payments/imports/${job}`),
      http().get(`/api/v1/payments/imports/${job}/report`),
      http().post(`/api/v1/payments/imports/${job}/retry`),
    ];
    for (const res of await Promise.all(calls)) expect(res.status).toBe(401);
  });

  it.each(ROLES)('%s', async (role) => {
    const session = m.sessions[role];
    const b = bearer(session);
    const perTarget = (fn: (p: Place) => Promise<number>) => m.perTarget(role, fn);
    const actual: Expected = {
      financialReview: await perTarget(
        async (p) =>
          (
            await http()
              .post(`/api/v1/applications/${await feePaid(p)}/financial-review`)
              .set(...b)
          ).status,
      ),
      approve: await perTarget(
        async (p) =>
          (
            await http()
              .post(`/api/v1/applications/${await reviewed(p)}/approve`)
              .set(...b)
          ).status,
      ),
      rejectReviewed: await perTarget(
        async (p) =>
          (
            await http()
              .post(`/api/v1/applications/${await reviewed(p)}/reject`)
              .set(...b)
              .send({ reason: `By ${role}` })
          ).status,
      ),
      upload: await perTarget(async (p) => (await upload(session, p)).status),
      list: (
        await http()
          .get('/api/v1/payments/imports')
          .set(...b)
      ).status,
      template: (
        await http()
          .get('/api/v1/payments/imports/template')
          .set(...b)
      ).status,
      get: await perTarget(
        async (p) =>
          (
            await http()
              .get(`/api/v1/payments/imports/${jobs[p]}`)
              .set(...b)
          ).status,
      ),
      report: await perTarget(
        async (p) =>
          (
            await http()
              .get(`/api/v1/payments/imports/${jobs[p]}/report`)
              .set(...b)
          ).status,
      ),
      retry: await perTarget(
        async (p) =>
          (
            await http()
              .post(`/api/v1/payments/imports/${jobs[p]}/retry`)
              .set(...b)
          ).status,
      ),
    };
    expect(actual).toEqual(EXPECTED[role]);
  });
});
