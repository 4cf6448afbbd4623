import { bearer, createUser, loginAsSuperAdmin, Session, TestUser } from '../harness/auth.js';
import { financiallyReviewed } from '../harness/applications.js';
import {
  createMember,
  insertApplication,
  memberInput,
  memberTableCounts,
  MemberBody,
  validIdNumber,
  WARDS,
} from '../harness/members.js';
import { startTestContext, TestContext } from '../harness/test-app.js';

interface Job {
  id: string;
  status: string;
  error: string | null;
}

const LIMIT = 4;
const GENERIC = 'this person cannot be registered here; the national office has been notified';

function csv(rows: string[][]): Buffer {
  return Buffer.from(rows.map((r) => r.join(',')).join('\n'));
}

/** What a refusal says, without what differs per request. */
function refusal(body: Record<string, unknown>): Record<string, unknown> {
  const { requestId: _r, instance: _i, ...rest } = body;
  return rest;
}

describe('#15.2 membership oracle', () => {
  let t: TestContext;
  let admin: Session;
  let national: TestUser;
  let ward: TestUser;
  let importer: TestUser;
  let prober: TestUser;
  /** A member in another province (LP): none of the GP ward admins may learn it exists. */
  let elsewhere: MemberBody;
  /** A member in the ward admins' own ward. */
  let own: MemberBody;

  beforeAll(async () => {
    t = await startTestContext({
      REGISTRATION_CONFLICT_LIMIT: String(LIMIT),
      AUTH_THROTTLE_LIMIT: '100',
    });
    admin = await loginAsSuperAdmin(t.app);
    national = await createUser(t.app, admin, 'national_admin', 'national', null);
    ward = await createUser(t.app, admin, 'ward_admin', 'ward', WARDS.own);
    importer = await createUser(t.app, admin, 'ward_admin', 'ward', WARDS.own);
    prober = await createUser(t.app, admin, 'ward_admin', 'ward', WARDS.own);
    elsewhere = await createMember(t.app, admin, { wardCode: WARDS.otherProvince });
    own = await createMember(t.app, admin, { wardCode: WARDS.own });
  });
  afterAll(() => t?.close());

  const http = () => t.app.http();

  async function upload(user: TestUser, file: Buffer, fields: Record<string, string>) {
    let req = http()
      .post('/api/v1/members/imports')
      .set(...bearer(user));
    for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
    return req.attach('file', file, 'register.csv');
  }

  async function finished(user: TestUser, id: string): Promise<Job> {
    for (let i = 0; i < 300; i += 1) {
      const res = await http()
        .get(`/api/v1/members/imports/${id}`)
        .set(...bearer(user))
        .expect(200);
      const job = res.body as Job;
      if (job.status === 'completed' || job.status === 'failed') return job;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('import did not finish');
  }

  async function report(user: TestUser, id: string): Promise<string> {
    const res = await http()
      .get(`/api/v1/members/imports/${id}/report?format=csv`)
      .set(...bearer(user))
      .expect(200);
    return res.text;
  }

  async function conflictsOf(user: TestUser): Promise<Record<string, unknown>[]> {
    const { rows } = await t.db.pool.query(
      `SELECT source, member_id, ward_code, application_id, import_id, row_number, status
       FROM registration_conflicts WHERE requested_by = $1 ORDER BY created_at, row_number`,
      [user.userId],
    );
    return rows;
  }

  it('POST /members: a member elsewhere answers one generic 409, recorded and audited with the actor', async () => {
    const res = await http()
      .post('/api/v1/members')
      .set(...bearer(ward))
      .send(memberInput({ idNumber: elsewhere.idNumber, wardCode: WARDS.own }))
      .expect(409);
    expect(refusal(res.body)).toEqual({
      type: 'urn:eff:problem:cannot-register-here',
      title: 'This person cannot be registered here',
      status: 409,
      detail: 'This person cannot be registered here; the national office has been notified',
      code: 'CANNOT_REGISTER_HERE',
    });
    const text = JSON.stringify(res.body);
    expect(text).not.toContain(elsewhere.membershipNumber);
    expect(text).not.toContain(elsewhere.id);
    expect(text).not.toMatch(/exist|LP|DUPLICATE/i);
    expect(await conflictsOf(ward)).toEqual([
      {
        source: 'member_create',
        member_id: elsewhere.id,
        ward_code: WARDS.own,
        application_id: null,
        import_id: null,
        row_number: null,
        status: 'open',
      },
    ]);
    const audit = await t.db.pool.query(
      `SELECT actor_user_id, changes FROM audit_events WHERE action = 'registration_conflict.recorded'
         AND actor_user_id = $1`,
      [ward.userId],
    );
    expect(audit.rows).toEqual([
      { actor_user_id: ward.userId, changes: { source: 'member_create', wardCode: WARDS.own } },
    ]);
    const member = await t.db.pool.query('SELECT ward_code FROM members WHERE id = $1', [
      elsewhere.id,
    ]);
    expect(member.rows).toEqual([{ ward_code: WARDS.otherProvince }]);
  });

  it('POST /members: a member in the caller’s own area gets a clear answer with its membership number', async () => {
    const res = await http()
      .post('/api/v1/members')
      .set(...bearer(ward))
      .send(memberInput({ idNumber: own.idNumber, wardCode: WARDS.own }))
      .expect(409);
    expect(res.body).toMatchObject({
      code: 'DUPLICATE_ID_NUMBER',
      membershipNumber: own.membershipNumber,
      memberId: own.id,
    });
    expect(res.body.detail).toContain(own.membershipNumber);
    expect(await conflictsOf(ward)).toHaveLength(1);
  });

  it('application review shows nothing about a member elsewhere, and approving answers the generic refusal', async () => {
    const application = await insertApplication(t.db.pool, WARDS.own, elsewhere.idNumber);
    const res = await http()
      .get(`/api/v1/applications/${application}`)
      .set(...bearer(ward))
      .expect(200);
    expect(res.body.duplicates).toEqual({
      member: null,
      memberExists: false,
      openApplicationIds: [],
    });
    const fresh = await insertApplication(t.db.pool, WARDS.own, validIdNumber());
    const freshView = await http()
      .get(`/api/v1/applications/${fresh}`)
      .set(...bearer(ward))
      .expect(200);
    expect(freshView.body.duplicates).toEqual(res.body.duplicates);

    await financiallyReviewed(t.db.pool, application);
    const before = await memberTableCounts(t.db.pool);
    const approve = await http()
      .post(`/api/v1/applications/${application}/approve`)
      .set(...bearer(ward))
      .expect(409);
    expect(approve.body.code).toBe('CANNOT_REGISTER_HERE');
    expect(JSON.stringify(approve.body)).not.toContain(elsewhere.membershipNumber);
    const after = await memberTableCounts(t.db.pool);
    expect({ ...after, audit: 0 }).toEqual({ ...before, audit: 0 });
    const { rows } = await t.db.pool.query(
      'SELECT status FROM membership_applications WHERE id = $1',
      [application],
    );
    expect(rows).toEqual([{ status: 'financial_review' }]);
    expect((await conflictsOf(ward)).map((c) => [c.source, c.application_id])).toEqual([
      ['member_create', null],
      ['application', application],
    ]);
  });

  it('the public application form answers a member elsewhere exactly as a stranger', async () => {
    const known = await http()
      .post('/api/v1/applications')
      .send({ ...memberInput({ idNumber: elsewhere.idNumber }), consent: true })
      .expect(202);
    const fresh = await http()
      .post('/api/v1/applications')
      .send({ ...memberInput(), consent: true })
      .expect(202);
    expect(known.body).toEqual(fresh.body);
  });

  it('import reports (upsert dry run and create) give the same generic reason, and record conflicts', async () => {
    const header = ['ID Number', 'First Names', 'Surname', 'Ward Code'];
    const file = (name: string) =>
      csv([
        header,
        [elsewhere.idNumber, name, 'Probe', WARDS.own],
        [own.idNumber, name, 'Own', WARDS.own],
      ]);
    const dry = await upload(importer, file('Dry'), { mode: 'upsert', dryRun: 'true' });
    expect(dry.status).toBe(202);
    await finished(importer, dry.body.id);
    const dryReport = await report(importer, dry.body.id);
    expect(dryReport).toContain(GENERIC);
    expect(dryReport).not.toMatch(/outside your area|already exists|exists/);

    const create = await upload(importer, file('Create'), { mode: 'create' });
    expect(create.status).toBe(202);
    const job = await finished(importer, create.body.id);
    expect(job.status).toBe('completed');
    const lines = (await report(importer, create.body.id))
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\n');
    const probe = lines.find((l) => l.includes('Probe'));
    const ownLine = lines.find((l) => l.includes('Own'));
    expect(probe).toContain(GENERIC);
    expect(probe).toMatch(/^2,no,/);
    expect(ownLine).toContain(
      `already a member in your area (membership number ${own.membershipNumber})`,
    );
    expect((await conflictsOf(importer)).map((c) => [c.source, c.import_id, c.row_number])).toEqual(
      [
        ['import', dry.body.id, 2],
        ['import', create.body.id, 2],
      ],
    );
  });

  it(`past REGISTRATION_CONFLICT_LIMIT (${LIMIT}) every registration by that user answers 429 problem details`, async () => {
    const probes = Array.from({ length: LIMIT }, () =>
      createMember(t.app, admin, { wardCode: WARDS.otherProvince }),
    );
    const members = await Promise.all(probes);
    for (const m of members) {
      const res = await http()
        .post('/api/v1/members')
        .set(...bearer(prober))
        .send(memberInput({ idNumber: m.idNumber, wardCode: WARDS.own }));
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('CANNOT_REGISTER_HERE');
    }
    const over = await http()
      .post('/api/v1/members')
      .set(...bearer(prober))
      .send(memberInput({ idNumber: elsewhere.idNumber, wardCode: WARDS.own }))
      .expect(429);
    expect(over.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(over.body).toMatchObject({ status: 429, code: 'REGISTRATION_CONFLICT_LIMIT' });
    // The oldest of the last LIMIT conflicts leaves the 24-hour window in just under a day.
    expect(over.body.retryAfterSeconds).toBeGreaterThan(86_000);
    expect(over.body.retryAfterSeconds).toBeLessThanOrEqual(86_400);
    expect(over.headers['retry-after']).toBe(String(over.body.retryAfterSeconds));
    // A brand-new ID number gets the same 429: the refusal no longer says anything about the number tried.
    const fresh = await http()
      .post('/api/v1/members')
      .set(...bearer(prober))
      .send(memberInput({ wardCode: WARDS.own }))
      .expect(429);
    expect({ ...refusal(fresh.body), retryAfterSeconds: 0 }).toEqual({
      ...refusal(over.body),
      retryAfterSeconds: 0,
    });
    const application = await insertApplication(t.db.pool, WARDS.own, validIdNumber());
    const approve = await http()
      .post(`/api/v1/applications/${application}/approve`)
      .set(...bearer(prober))
      .expect(429);
    expect(approve.body.code).toBe('REGISTRATION_CONFLICT_LIMIT');
    const imported = await upload(
      prober,
      csv([
        ['ID Number', 'First Names', 'Surname', 'Ward Code'],
        [validIdNumber(), 'New', 'Person', WARDS.own],
      ]),
      { dryRun: 'true' },
    );
    const job = await finished(prober, imported.body.id);
    expect(job.status).toBe('failed');
    expect(job.error).toContain('limit');
    // Someone else in the same ward is not affected.
    await http()
      .post('/api/v1/members')
      .set(...bearer(ward))
      .send(memberInput({ wardCode: WARDS.own }))
      .expect(201);

    const metrics = await http().get('/metrics').expect(200);
    const limited = /eff_registration_conflicts_total\{outcome="limited"\} (\d+)/.exec(
      metrics.text,
    );
    expect(Number(limited?.[1])).toBeGreaterThanOrEqual(4);
    expect(metrics.text).toMatch(/eff_registration_conflicts_total\{outcome="recorded"\} \d+/);
  });

  it('national admins list and resolve conflicts; nobody else may', async () => {
    await http()
      .get('/api/v1/registration-conflicts')
      .set(...bearer(ward))
      .expect(403);
    const provincial = await createUser(t.app, admin, 'provincial_admin', 'province', 'LP');
    await http()
      .get('/api/v1/registration-conflicts')
      .set(...bearer(provincial))
      .expect(403);
    const list = await http()
      .get('/api/v1/registration-conflicts')
      .query({ status: 'open', limit: 2 })
      .set(...bearer(national))
      .expect(200);
    expect(list.body.data).toHaveLength(2);
    expect(list.body.nextCursor).toEqual(expect.any(String));
    const all: { id: string; requestedBy: string; memberId: string; membershipNumber: string }[] =
      [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: typeof all; nextCursor: string | null } } = await http()
        .get('/api/v1/registration-conflicts')
        .query(cursor ? { cursor } : {})
        .set(...bearer(national))
        .expect(200);
      all.push(...page.body.data);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(all).toHaveLength(2 + 2 + LIMIT);
    const first = all.find((c) => c.requestedBy === ward.userId && c.memberId === elsewhere.id);
    expect(first).toMatchObject({
      membershipNumber: elsewhere.membershipNumber,
      memberWardCode: WARDS.otherProvince,
      wardCode: WARDS.own,
      status: 'open',
    });
    const resolved = await http()
      .post(`/api/v1/registration-conflicts/${first!.id}/resolve`)
      .set(...bearer(national))
      .send({ outcome: 'dismissed', note: 'Stays in Limpopo' })
      .expect(200);
    expect(resolved.body).toMatchObject({
      status: 'resolved',
      outcome: 'dismissed',
      note: 'Stays in Limpopo',
      resolvedBy: national.userId,
    });
    await http()
      .post(`/api/v1/registration-conflicts/${first!.id}/resolve`)
      .set(...bearer(national))
      .send({ outcome: 'dismissed' })
      .expect(409);
    await http()
      .post(`/api/v1/registration-conflicts/${first!.id}/resolve`)
      .set(...bearer(national))
      .send({ outcome: 'nonsense' })
      .expect(400);
    await http()
      .post('/api/v1/registration-conflicts/00000000-0000-4000-8000-000000000000/resolve')
      .set(...bearer(national))
      .send({ outcome: 'dismissed' })
      .expect(404);
    const open = await http()
      .get('/api/v1/registration-conflicts')
      .query({ status: 'open', limit: 100 })
      .set(...bearer(national))
      .expect(200);
    expect(open.body.data.map((c: { id: string }) => c.id)).not.toContain(first!.id);
  });
});
