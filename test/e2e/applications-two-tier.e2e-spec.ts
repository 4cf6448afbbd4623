import { randomBytes } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import { bearer, createUser, loginAsSuperAdmin, Session, TestUser } from '../harness/auth.js';
import { insertApplication, WARDS } from '../harness/members.js';
import { connectRealtime } from '../harness/realtime.js';
import { startTestContext, TestContext } from '../harness/test-app.js';

/**
 * Two-tier approval (#20): submitted → financial_review (a verified joining fee, confirmed by a finance officer
 * or a national admin: applications:financial_review) → approved | rejected (an admin of the area, never the
 * financial reviewer).
 */
describe('applications: two-tier approval (e2e)', () => {
  let t: TestContext;
  let admin: Session;
  let gp: TestUser;
  let gp2: TestUser;
  let finance: TestUser;
  let finance2: TestUser;
  let financeLp: TestUser;
  let national: TestUser;
  const today = new Date().toISOString().slice(0, 10);

  beforeAll(async () => {
    t = await startTestContext({ STATUS_RECALC_CRON: 'off', AUTH_THROTTLE_LIMIT: '1000' });
    admin = await loginAsSuperAdmin(t.app);
    gp = await createUser(t.app, admin, 'provincial_admin', 'province', 'GP');
    gp2 = await createUser(t.app, admin, 'provincial_admin', 'province', 'GP');
    finance = await createUser(t.app, admin, 'finance_officer', 'district', 'DC42');
    finance2 = await createUser(t.app, admin, 'finance_officer', 'province', 'GP');
    financeLp = await createUser(t.app, admin, 'finance_officer', 'province', 'LP');
    national = await createUser(t.app, admin, 'national_admin', 'national', null);
  });
  afterAll(() => t?.close());

  const http = () => t.app.http();
  const ref = (): string => `J-${randomBytes(6).toString('hex')}`;
  const application = async (id: string) =>
    (
      await t.db.pool.query<{
        status: string;
        financial_reviewed_by: string | null;
        financial_review_payment_id: string | null;
        member_id: string | null;
      }>(
        `SELECT status, financial_reviewed_by, financial_review_payment_id, member_id
         FROM membership_applications WHERE id = $1`,
        [id],
      )
    ).rows[0];
  const auditOf = async (id: string) =>
    (
      await t.db.pool.query<{ action: string; actor_user_id: string | null; changes: unknown }>(
        `SELECT action, actor_user_id, changes FROM audit_events
         WHERE entity_type = 'membership_application' AND entity_id = $1 ORDER BY occurred_at, action`,
        [id],
      )
    ).rows;

  async function recordFee(by: Session, applicationId: string): Promise<string> {
    const res = await http()
      .post('/api/v1/payments')
      .set(...bearer(by))
      .send({ applicationId, method: 'cash', paidOn: today, reference: ref() })
      .expect(201);
    expect(res.body).toMatchObject({ status: 'pending', applicationId });
    return (res.body as { id: string }).id;
  }
  const review = (by: Session, id: string) =>
    http()
      .post(`/api/v1/applications/${id}/financial-review`)
      .set(...bearer(by));
  const approve = (by: Session, id: string) =>
    http()
      .post(`/api/v1/applications/${id}/approve`)
      .set(...bearer(by));

  it('goes submitted → financial_review → approved, refusing every skipped stage', async () => {
    const id = await insertApplication(t.db.pool, WARDS.own);
    const socket: Socket = await connectRealtime(t.app, { token: gp.accessToken });
    const events: unknown[] = [];
    socket.on('application.financially_reviewed', (m: unknown) => events.push(m));
    try {
      // final approval before the financial review: 409, nothing written
      const early = await approve(gp, id).expect(409);
      expect(early.body.code).toBe('FINANCIAL_REVIEW_REQUIRED');
      expect((await application(id))?.status).toBe('submitted');
      // financial review without any payment: 422
      const none = await review(finance, id).expect(422);
      expect(none.body.code).toBe('JOINING_FEE_NOT_VERIFIED');
      // a pending payment is not enough
      const paymentId = await recordFee(gp, id);
      const pending = await review(finance, id).expect(422);
      expect(pending.body.code).toBe('JOINING_FEE_NOT_VERIFIED');
      // the recorder may not verify (four eyes), the finance officer may
      await http()
        .post(`/api/v1/payments/${paymentId}/verify`)
        .set(...bearer(gp))
        .expect(403);
      await http()
        .post(`/api/v1/payments/${paymentId}/verify`)
        .set(...bearer(finance))
        .expect(200);
      // outside the reviewer's area: 404, as any application read
      await review(financeLp, id).expect(404);
      // the finance officer may not approve at all (no applications:review)
      await approve(finance, id).expect(403);
      expect((await application(id))?.status).toBe('submitted');

      const reviewed = await review(finance, id).expect(200);
      expect(reviewed.body).toMatchObject({
        id,
        status: 'financial_review',
        financialReviewedBy: finance.userId,
        financialReviewPaymentId: paymentId,
      });
      const again = await review(finance, id).expect(409);
      expect(again.body.code).toBe('INVALID_STATUS_TRANSITION');

      const approved = await approve(gp, id).expect(201);
      const memberId = (approved.body as { id: string }).id;
      expect(await application(id)).toEqual({
        status: 'approved',
        financial_reviewed_by: finance.userId,
        financial_review_payment_id: paymentId,
        member_id: memberId,
      });
      const decidedAgain = await approve(gp2, id).expect(409);
      expect(decidedAgain.body.code).toBe('INVALID_STATUS_TRANSITION');
      await review(finance, id).expect(409);

      const audit = await auditOf(id);
      expect(audit).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            action: 'application.financially_reviewed',
            actor_user_id: finance.userId,
            changes: {
              status: { from: 'submitted', to: 'financial_review' },
              paymentId,
            },
          }),
          expect.objectContaining({
            action: 'application.approved',
            actor_user_id: gp.userId,
            changes: expect.objectContaining({
              status: { from: 'financial_review', to: 'approved' },
              financialReviewedBy: finance.userId,
              financialReviewPaymentId: paymentId,
            }),
          }),
        ]),
      );
      // the realtime event reached the GP admin's rooms: ids only, no amounts or references
      for (let i = 0; i < 50 && events.length === 0; i += 1)
        await new Promise((r) => setTimeout(r, 100));
      expect(events).toEqual([
        expect.objectContaining({
          type: 'application.financially_reviewed',
          data: { applicationId: id, wardCode: WARDS.own, paymentId },
        }),
      ]);
    } finally {
      socket.close();
    }
  });

  it('separation of duties: the reviewer may not approve, the fee recorder may not review', async () => {
    const id = await insertApplication(t.db.pool, WARDS.own);
    const paymentId = await recordFee(finance2, id);
    await http()
      .post(`/api/v1/payments/${paymentId}/verify`)
      .set(...bearer(finance))
      .expect(200);
    // finance2 recorded the joining fee: it may not give the financial review
    const recorder = await review(finance2, id).expect(403);
    expect(recorder.body.detail).toMatch(/Separation of duties/);
    // the area's admins give the final approval, not the financial review (the issue: "a finance officer (or
    // national admin) confirms")
    const areaAdmin = await review(gp, id).expect(403);
    expect(areaAdmin.body.detail).not.toMatch(/Separation of duties/);
    expect((await application(id))?.status).toBe('submitted');
    // a national admin (who holds both permissions) reviews ...
    await review(national, id).expect(200);
    // ... and so may not give the final approval
    const self = await approve(national, id).expect(403);
    expect(self.body.detail).toMatch(/Separation of duties/);
    expect(await application(id)).toMatchObject({ status: 'financial_review', member_id: null });
    // another admin of the area may
    await approve(gp2, id).expect(201);
    expect((await application(id))?.status).toBe('approved');
  });

  it('rejects from financial_review; a rejected application cannot be reviewed or approved', async () => {
    const id = await insertApplication(t.db.pool, WARDS.own);
    const paymentId = await recordFee(admin, id);
    await http()
      .post(`/api/v1/payments/${paymentId}/verify`)
      .set(...bearer(finance))
      .expect(200);
    await http()
      .post(`/api/v1/applications/${id}/review`)
      .set(...bearer(gp))
      .expect(200);
    const reviewed = await review(finance, id).expect(200);
    expect(reviewed.body.status).toBe('financial_review');
    await http()
      .post(`/api/v1/applications/${id}/reject`)
      .set(...bearer(gp))
      .send({ reason: 'Not resident in the ward' })
      .expect(200);
    expect((await application(id))?.status).toBe('rejected');
    const approveRejected = await approve(gp2, id).expect(409);
    expect(approveRejected.body.code).toBe('INVALID_STATUS_TRANSITION');
    await review(finance, id).expect(409);
  });

  it('approves exactly once when admins approve a reviewed application at the same moment', async () => {
    const id = await insertApplication(t.db.pool, WARDS.own);
    const paymentId = await recordFee(admin, id);
    await http()
      .post(`/api/v1/payments/${paymentId}/verify`)
      .set(...bearer(finance))
      .expect(200);
    await review(finance, id).expect(200);
    const results = await Promise.all([gp, gp2, admin, gp].map((s) => approve(s, id)));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
    const { rows } = await t.db.pool.query(
      'SELECT count(*)::int AS n FROM members m JOIN membership_applications a ON a.member_id = m.id WHERE a.id = $1',
      [id],
    );
    expect(rows[0].n).toBe(1);
  });
});
