import { bearer, createUser, loginAsSuperAdmin, Session, TestUser } from '../harness/auth.js';
import { financiallyReviewed } from '../harness/applications.js';
import {
  createMember,
  insertApplication,
  memberInput,
  memberTableCounts,
  submitApplication,
  validIdNumber,
  withBadCheckDigit,
  WARDS,
} from '../harness/members.js';
import { startTestContext, TestContext } from '../harness/test-app.js';

describe('membership applications (e2e)', () => {
  let t: TestContext;
  let admin: Session;
  let gp: TestUser;
  let auditor: TestUser;

  beforeAll(async () => {
    t = await startTestContext({ AUTH_THROTTLE_LIMIT: '15' });
    admin = await loginAsSuperAdmin(t.app);
    gp = await createUser(t.app, admin, 'provincial_admin', 'province', 'GP');
    auditor = await createUser(t.app, admin, 'auditor', 'province', 'GP');
  });
  afterAll(() => t?.close());

  const http = () => t.app.http();
  const statusOf = async (id: string): Promise<string> =>
    (
      await t.db.pool.query<{ status: string }>(
        'SELECT status FROM membership_applications WHERE id = $1',
        [id],
      )
    ).rows[0]?.status ?? 'missing';

  it('answers a new applicant and an existing member’s ID number the same way', async () => {
    const member = await createMember(t.app, admin);
    const fresh = await http()
      .post('/api/v1/applications')
      .send({ ...memberInput(), consent: true })
      .expect(202);
    const known = await http()
      .post('/api/v1/applications')
      .send({ ...memberInput({ idNumber: member.idNumber }), consent: true })
      .expect(202);
    expect(known.body).toEqual(fresh.body);
    expect(fresh.body.status).toBe('received');
    expect(JSON.stringify(known.body)).not.toContain(member.membershipNumber);
    const { rows } = await t.db.pool.query(
      `SELECT status, date_of_birth::text AS dob, cell_number FROM membership_applications WHERE id_number = $1`,
      [member.idNumber],
    );
    expect(rows).toEqual([
      { status: 'submitted', dob: expect.any(String), cell_number: '+27821234567' },
    ]);
  });

  it.each([
    ['consent false', { consent: false }, 'consent'],
    ['consent missing', { consent: undefined }, 'consent'],
    ['bad check digit', { idNumber: withBadCheckDigit(validIdNumber()) }, 'idNumber'],
    ['impossible date', { idNumber: '8013015009080' }, 'idNumber'],
    ['unknown ward', { wardCode: '99999999' }, 'wardCode'],
    ['unknown property', { status: 'approved' }, 'status'],
    ['oversized surname', { surname: 'x'.repeat(101) }, 'surname'],
    ['admin-only field', { joinedOn: '2020-01-01' }, 'joinedOn'],
  ])('refuses %s with a 400 and stores nothing', async (_name, change, field) => {
    const before = await memberTableCounts(t.db.pool);
    const body: Record<string, unknown> = { ...memberInput(), consent: true, ...change };
    const res = await http().post('/api/v1/applications').send(body).expect(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(await memberTableCounts(t.db.pool)).toEqual(before);
  });

  it('lists applications in the caller’s area only, newest first, with cursors', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push(await insertApplication(t.db.pool, WARDS.siblingWard));
    const lp = await insertApplication(t.db.pool, WARDS.otherProvince);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: {
        body: { data: { id: string; provinceCode: string }[]; nextCursor: string | null };
      } = await http()
        .get('/api/v1/applications')
        .query({ wardCode: WARDS.siblingWard, limit: 2, ...(cursor ? { cursor } : {}) })
        .set(...bearer(gp))
        .expect(200);
      seen.push(...res.body.data.map((a) => a.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const all = await http()
      .get('/api/v1/applications')
      .query({ limit: 100 })
      .set(...bearer(gp))
      .expect(200);
    expect(all.body.data.map((a: { id: string }) => a.id)).not.toContain(lp);
    await http()
      .get(`/api/v1/applications/${lp}`)
      .set(...bearer(gp))
      .expect(404);
    const filtered = await http()
      .get('/api/v1/applications')
      .query({ provinceCode: 'LP' })
      .set(...bearer(gp))
      .expect(200);
    expect(filtered.body.data).toEqual([]);
    await http()
      .get('/api/v1/applications')
      .query({ cursor: 'not-a-cursor!' })
      .set(...bearer(gp))
      .expect(400);
  });

  it('shows duplicates to reviewers only', async () => {
    const member = await createMember(t.app, admin, { wardCode: WARDS.own });
    const a = await insertApplication(t.db.pool, WARDS.own, member.idNumber);
    const b = await insertApplication(t.db.pool, WARDS.own, member.idNumber);
    const res = await http()
      .get(`/api/v1/applications/${a}`)
      .set(...bearer(gp))
      .expect(200);
    expect(res.body.duplicates).toEqual({
      member: {
        id: member.id,
        membershipNumber: member.membershipNumber,
        status: 'active',
        wardCode: WARDS.own,
      },
      memberExists: true,
      openApplicationIds: [b],
    });
    const audited = await http()
      .get(`/api/v1/applications/${a}`)
      .set(...bearer(auditor))
      .expect(200);
    expect(audited.body.duplicates).toBeUndefined();
    // approving it would duplicate the member: 409, nothing created, still open
    await financiallyReviewed(t.db.pool, a);
    const before = await memberTableCounts(t.db.pool);
    const approve = await http()
      .post(`/api/v1/applications/${a}/approve`)
      .set(...bearer(gp))
      .expect(409);
    expect(approve.body.code).toBe('DUPLICATE_ID_NUMBER');
    expect(await memberTableCounts(t.db.pool)).toEqual(before);
    expect(await statusOf(a)).toBe('financial_review');
  });

  it('reviews, approves (creating the member) and refuses a second decision', async () => {
    const id = await insertApplication(t.db.pool, WARDS.own);
    const reviewed = await http()
      .post(`/api/v1/applications/${id}/review`)
      .set(...bearer(gp))
      .expect(200);
    expect(reviewed.body).toMatchObject({ status: 'under_review', reviewedBy: gp.userId });
    const twice = await http()
      .post(`/api/v1/applications/${id}/review`)
      .set(...bearer(gp))
      .expect(409);
    expect(twice.body.code).toBe('INVALID_STATUS_TRANSITION');
    await financiallyReviewed(t.db.pool, id);
    const approved = await http()
      .post(`/api/v1/applications/${id}/approve`)
      .set(...bearer(gp))
      .expect(201);
    expect(approved.body).toMatchObject({
      status: 'active',
      wardCode: WARDS.own,
      provinceCode: 'GP',
    });
    expect(approved.body.membershipNumber).toMatch(/^EFF\d{11}$/);
    const application = await http()
      .get(`/api/v1/applications/${id}`)
      .set(...bearer(gp))
      .expect(200);
    expect(application.body).toMatchObject({
      status: 'approved',
      memberId: approved.body.id,
      decidedBy: gp.userId,
    });
    const history = await http()
      .get(`/api/v1/members/${approved.body.id}/history`)
      .set(...bearer(gp))
      .expect(200);
    expect(history.body.data).toEqual([
      expect.objectContaining({
        kind: 'created',
        actorUserId: gp.userId,
        details: expect.objectContaining({ applicationId: id }),
      }),
    ]);
    const again = await http()
      .post(`/api/v1/applications/${id}/approve`)
      .set(...bearer(gp))
      .expect(409);
    expect(again.body.code).toBe('INVALID_STATUS_TRANSITION');
    await http()
      .post(`/api/v1/applications/${id}/reject`)
      .set(...bearer(gp))
      .send({ reason: 'Too late' })
      .expect(409);
  });

  it('rejects with a reason (required)', async () => {
    const id = await insertApplication(t.db.pool, WARDS.own);
    await http()
      .post(`/api/v1/applications/${id}/reject`)
      .set(...bearer(gp))
      .send({})
      .expect(400);
    await http()
      .post(`/api/v1/applications/${id}/reject`)
      .set(...bearer(gp))
      .send({ reason: 'x'.repeat(501) })
      .expect(400);
    expect(await statusOf(id)).toBe('submitted');
    const res = await http()
      .post(`/api/v1/applications/${id}/reject`)
      .set(...bearer(gp))
      .send({ reason: 'Not resident in the ward' })
      .expect(200);
    expect(res.body).toMatchObject({
      status: 'rejected',
      rejectionReason: 'Not resident in the ward',
    });
    await http()
      .post(`/api/v1/applications/${id}/approve`)
      .set(...bearer(gp))
      .expect(409);
  });

  it('approves exactly once when several admins approve at the same moment', async () => {
    const idNumber = validIdNumber();
    const id = await insertApplication(t.db.pool, WARDS.own, idNumber);
    const ward = await createUser(t.app, admin, 'ward_admin', 'ward', WARDS.own);
    await financiallyReviewed(t.db.pool, id);
    const sessions = [admin, gp, ward, admin, gp, ward];
    const results = await Promise.all(
      sessions.map((s) =>
        http()
          .post(`/api/v1/applications/${id}/approve`)
          .set(...bearer(s)),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409]);
    const { rows } = await t.db.pool.query(
      'SELECT count(*)::int AS n FROM members WHERE id_number = $1',
      [idNumber],
    );
    expect(rows[0].n).toBe(1);
  });

  it('is rate limited per client address (strict throttle)', async () => {
    const results: number[] = [];
    for (let i = 0; i < 16; i += 1) {
      results.push((await http().post('/api/v1/applications').send({})).status);
    }
    expect(results).toContain(429);
    const id = await submitApplication(t.app, t.db.pool).catch((e: Error) => e.message);
    expect(String(id)).toContain('429');
  });
});
