import { Session, TEST_PASSWORD } from '../harness/auth.js';
import {
  CreatedUser,
  loginRequest,
  makeUser,
  nextIp,
  signIn,
  uniqueEmail,
} from '../harness/accounts.js';
import { startTestContext, TEST_ADMIN, TestContext } from '../harness/test-app.js';

describe('user management (e2e)', () => {
  let ctx: TestContext;
  let admin: Session;
  let gpAdmin: CreatedUser;
  let gp: Session;

  beforeAll(async () => {
    ctx = await startTestContext({ AUTH_THROTTLE_LIMIT: '1000' });
    admin = await signIn(ctx.app, TEST_ADMIN.email, TEST_ADMIN.password);
    gpAdmin = await makeUser(ctx.app, admin, 'provincial_admin', 'province', 'GP');
    gp = await signIn(ctx.app, gpAdmin.email, TEST_PASSWORD);
  });
  afterAll(() => ctx?.close());

  const as = (session: Session) => ({
    get: (url: string) =>
      ctx.app.http().get(url).set('authorization', `Bearer ${session.accessToken}`),
    post: (url: string, body?: unknown) =>
      ctx.app
        .http()
        .post(url)
        .set('authorization', `Bearer ${session.accessToken}`)
        .send(body as object),
    patch: (url: string, body: unknown) =>
      ctx.app
        .http()
        .patch(url)
        .set('authorization', `Bearer ${session.accessToken}`)
        .send(body as object),
  });
  const me = (session: Session) => as(session).get('/api/v1/auth/me');

  /** Every user row and the number of audit rows: what a refused request must leave untouched. */
  const snapshot = async () => {
    const users = await ctx.db.pool.query(
      'SELECT id, email, name, role, scope_level, scope_code, active, version, password_hash FROM users ORDER BY id',
    );
    const audit = await ctx.db.pool.query(
      `SELECT count(*)::int AS n FROM audit_events WHERE action LIKE 'user.%'`,
    );
    return { users: users.rows, audit: audit.rows[0] };
  };

  it('creates a user: lower-cased email, argon2id hash, denormalised area, audited with actor, request id and IP', async () => {
    const email = uniqueEmail('Ward.Organiser').replace('ward', 'WARD');
    const ip = nextIp();
    const res = await ctx.app
      .http()
      .post('/api/v1/users')
      .set('authorization', `Bearer ${gp.accessToken}`)
      .set('x-forwarded-for', ip)
      .send({
        email: `  ${email.toUpperCase()} `,
        name: ' Thandi Mokoena ',
        password: 'Ward-Organiser-Pass-2026!',
        role: 'ward_admin',
        scopeLevel: 'ward',
        scopeCode: '74201001',
      })
      .expect(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      email: email.toLowerCase(),
      name: 'Thandi Mokoena',
      role: 'ward_admin',
      scopeLevel: 'ward',
      scopeCode: '74201001',
      memberId: null,
      active: true,
      lockedUntil: null,
      lastLoginAt: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      version: 1,
    });
    expect(JSON.stringify(res.body)).not.toMatch(/password/i);
    const { rows } = await ctx.db.pool.query('SELECT * FROM users WHERE id = $1', [res.body.id]);
    expect(rows[0]).toMatchObject({
      email: email.toLowerCase(),
      province_code: 'GP',
      district_code: 'DC42',
      municipality_code: 'GT421',
      ward_code: '74201001',
      failed_login_count: 0,
      locked_until: null,
    });
    expect(rows[0].password_hash).toMatch(/^\$argon2id\$v=19\$/);
    const audit = await ctx.db.pool.query(
      `SELECT actor_user_id, request_id, ip, province_code, changes FROM audit_events
        WHERE action = 'user.created' AND entity_id = $1`,
      [res.body.id],
    );
    expect(audit.rows).toEqual([
      {
        actor_user_id: gpAdmin.id,
        request_id: res.headers['x-request-id'],
        ip,
        province_code: 'GP',
        changes: expect.objectContaining({
          role: { to: 'ward_admin' },
          scopeCode: { to: '74201001' },
          email: { to: email.toLowerCase() },
        }),
      },
    ]);
    await signIn(ctx.app, email.toUpperCase(), 'Ward-Organiser-Pass-2026!');
  });

  it('keeps email unique ignoring case (409, nothing written)', async () => {
    const first = await makeUser(ctx.app, admin, 'auditor', 'province', 'GP');
    const before = await snapshot();
    const res = await as(admin)
      .post('/api/v1/users', {
        email: first.email.toUpperCase(),
        name: 'Copy',
        password: TEST_PASSWORD,
        role: 'auditor',
        scopeLevel: 'province',
        scopeCode: 'GP',
      })
      .expect(409);
    expect(res.body).toMatchObject({ code: 'CONFLICT' });
    expect(await snapshot()).toEqual(before);
  });

  const valid = {
    name: 'Lerato Dlamini',
    password: 'Good-Long-Secret-7731',
    role: 'auditor',
    scopeLevel: 'province',
    scopeCode: 'GP',
  };
  it.each([
    ['missing fields', {}, ['email', 'name', 'password', 'role', 'scopeLevel']],
    ['an unknown property', { ...valid, isSuperuser: true }, ['isSuperuser']],
    ['a bad email', { ...valid, email: 'not-an-email' }, ['email']],
    ['a short password', { ...valid, password: 'Sh0rt!' }, ['password']],
    ['a common password', { ...valid, password: 'Password12345!' }, ['password']],
    ['a leet-speak common password', { ...valid, password: 'P@55w0rd2026!' }, ['password']],
    ['a keyboard-walk password', { ...valid, password: '1q2w3e4r5t6y7u' }, ['password']],
    [
      'a password of one repeated character',
      { ...valid, password: 'aaaaaaaaaaaaaaa' },
      ['password'],
    ],
    ['an unknown role', { ...valid, role: 'emperor' }, ['role']],
    ['an unknown scope level', { ...valid, scopeLevel: 'galaxy' }, ['scopeLevel']],
    ['a role that does not fit the level', { ...valid, role: 'ward_admin' }, ['scopeLevel']],
    ['an area that does not exist', { ...valid, scopeCode: 'XX' }, ['scopeCode']],
    ['a malformed area code', { ...valid, scopeCode: "GP'; --" }, ['scopeCode']],
    ['a national scope with a code', { ...valid, scopeLevel: 'national' }, ['scopeCode']],
    ['a malformed member id', { ...valid, memberId: 'not-a-uuid' }, ['memberId']],
    ['a name too long', { ...valid, name: 'x'.repeat(121) }, ['name']],
    ['a name of the wrong type', { ...valid, name: 42 }, ['name']],
  ])('POST /users with %s is a 400 problem and changes nothing', async (_label, body, fields) => {
    const before = await snapshot();
    const withEmail =
      'email' in body || Object.keys(body).length === 0
        ? body
        : { ...body, email: uniqueEmail('bad') };
    const res = await as(admin).post('/api/v1/users', withEmail);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      detail: expect.any(String),
    });
    const reported = (res.body.errors as { field: string }[]).map((e) => e.field);
    expect(reported).toEqual(expect.arrayContaining(fields));
    expect(await snapshot()).toEqual(before);
  });

  it.each([
    ['PATCH /users/me with role', 'patch', '/api/v1/users/me', { role: 'super_admin' }, 'role'],
    [
      'PATCH /users/me with scopeLevel',
      'patch',
      '/api/v1/users/me',
      { name: 'X', scopeLevel: 'national' },
      'scopeLevel',
    ],
    ['PATCH /users/me with an empty name', 'patch', '/api/v1/users/me', { name: '   ' }, 'name'],
    ['PATCH /users/{malformed}', 'patch', '/api/v1/users/not-a-uuid', { name: 'X' }, 'id'],
    ['GET /users/{malformed}', 'get', '/api/v1/users/1234', undefined, 'id'],
    ['POST /users/{malformed}/disable', 'post', '/api/v1/users/xyz/disable', undefined, 'id'],
    [
      'POST /users/{malformed}/reset-password',
      'post',
      '/api/v1/users/xyz/reset-password',
      undefined,
      'id',
    ],
    ['GET /users?limit=500', 'get', '/api/v1/users?limit=500', undefined, 'limit'],
    ['GET /users?role=emperor', 'get', '/api/v1/users?role=emperor', undefined, 'role'],
    ['GET /users?active=maybe', 'get', '/api/v1/users?active=maybe', undefined, 'active'],
    ['GET /users?colour=red', 'get', '/api/v1/users?colour=red', undefined, 'colour'],
    ['PATCH /users/{id} with version 0', 'patch', 'SELF', { name: 'X', version: 0 }, 'version'],
  ])(
    '%s is a 400 problem naming the field and changes nothing',
    async (_label, method, url, body, field) => {
      const before = await snapshot();
      const target = url === 'SELF' ? `/api/v1/users/${gpAdmin.id}` : url;
      const client = as(gp);
      const res =
        method === 'get'
          ? await client.get(target)
          : method === 'post'
            ? await client.post(target, body)
            : await client.patch(target, body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
      expect((res.body.errors as { field: string }[]).map((e) => e.field)).toContain(field);
      expect(await snapshot()).toEqual(before);
    },
  );

  it('answers a bad cursor and malformed JSON with 400 problems', async () => {
    const cursor = await as(gp).get('/api/v1/users?cursor=%%%garbage').expect(400);
    expect(cursor.body.code).toMatch(/INVALID_CURSOR|VALIDATION_FAILED/);
    const json = await ctx.app
      .http()
      .post('/api/v1/users')
      .set('authorization', `Bearer ${admin.accessToken}`)
      .set('content-type', 'application/json')
      .send('{"email": ')
      .expect(400);
    expect(json.body).toMatchObject({ code: 'MALFORMED_JSON' });
  });

  it('lets anyone change their own name at PATCH /users/me, audited', async () => {
    const res = await as(gp).patch('/api/v1/users/me', { name: 'Naledi Khumalo' }).expect(200);
    expect(res.body).toMatchObject({
      id: gpAdmin.id,
      name: 'Naledi Khumalo',
      role: 'provincial_admin',
    });
    const audit = await ctx.db.pool.query(
      `SELECT actor_user_id, changes FROM audit_events WHERE action = 'user.updated' AND entity_id = $1`,
      [gpAdmin.id],
    );
    expect(audit.rows).toEqual([
      {
        actor_user_id: gpAdmin.id,
        changes: { name: { from: 'Test provincial_admin', to: 'Naledi Khumalo' } },
      },
    ]);
  });

  it('never lets a user raise their own role or widen their own scope', async () => {
    const before = await snapshot();
    for (const body of [
      { role: 'national_admin', scopeLevel: 'national', scopeCode: null },
      { role: 'super_admin' },
      { scopeCode: 'LP' },
      { scopeLevel: 'national', scopeCode: null },
      { memberId: '6f1c1d59-5b0c-4c55-9d0a-0d4a0f0d9e11' },
    ]) {
      const res = await as(gp).patch(`/api/v1/users/${gpAdmin.id}`, body);
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ code: 'FORBIDDEN' });
    }
    await as(gp).post(`/api/v1/users/${gpAdmin.id}/disable`).expect(403);
    await as(gp).post(`/api/v1/users/${gpAdmin.id}/reset-password`).expect(403);
    expect(await snapshot()).toEqual(before);
    await me(gp).expect(200);
  });

  it('lets only a super admin create national roles', async () => {
    const national = await makeUser(ctx.app, admin, 'national_admin', 'national', null);
    const nat = await signIn(ctx.app, national.email, TEST_PASSWORD);
    const before = await snapshot();
    for (const [who, role] of [
      [gp, 'national_admin'],
      [gp, 'super_admin'],
      [nat, 'national_admin'],
      [nat, 'super_admin'],
      [nat, 'auditor'],
    ] as const) {
      const res = await as(who).post('/api/v1/users', {
        email: uniqueEmail('nat'),
        name: 'N',
        password: TEST_PASSWORD,
        role,
        scopeLevel: 'national',
      });
      expect(res.status).toBe(403);
    }
    expect(await snapshot()).toEqual(before);
    // A national admin manages every province below it.
    await as(nat)
      .post('/api/v1/users', {
        email: uniqueEmail('lp'),
        name: 'L',
        password: TEST_PASSWORD,
        role: 'provincial_admin',
        scopeLevel: 'province',
        scopeCode: 'LP',
      })
      .expect(201);
    await as(admin)
      .post('/api/v1/users', {
        email: uniqueEmail('nat2'),
        name: 'N',
        password: TEST_PASSWORD,
        role: 'national_admin',
        scopeLevel: 'national',
      })
      .expect(201);
  });

  it('lets an admin re-scope a user only inside their own area; the change ends that user’s sessions', async () => {
    const wardAdmin = await makeUser(ctx.app, gp, 'ward_admin', 'ward', '79800001');
    const session = await signIn(ctx.app, wardAdmin.email, TEST_PASSWORD);
    const before = await snapshot();
    await as(gp).patch(`/api/v1/users/${wardAdmin.id}`, { scopeCode: '10101001' }).expect(403); // a WC ward
    await as(gp)
      .patch(`/api/v1/users/${wardAdmin.id}`, { role: 'national_admin', scopeLevel: 'national' })
      .expect(403);
    await as(gp)
      .patch(`/api/v1/users/${wardAdmin.id}`, {
        role: 'provincial_admin',
        scopeLevel: 'province',
        scopeCode: 'LP',
      })
      .expect(403);
    expect(await snapshot()).toEqual(before);
    await me(session).expect(200);

    const moved = await as(gp)
      .patch(`/api/v1/users/${wardAdmin.id}`, { scopeCode: '74201002' })
      .expect(200);
    expect(moved.body).toMatchObject({ scopeCode: '74201002', version: 2 });
    await me(session).expect(401);
    const { rows } = await ctx.db.pool.query(
      'SELECT ward_code, municipality_code FROM users WHERE id = $1',
      [wardAdmin.id],
    );
    expect(rows[0]).toEqual({ ward_code: '74201002', municipality_code: 'GT421' });
    const stale = await as(gp)
      .patch(`/api/v1/users/${wardAdmin.id}`, { name: 'Stale', version: 1 })
      .expect(409);
    expect(stale.body).toMatchObject({ code: 'VERSION_CONFLICT' });
  });

  it('lists users paginated, filtered and scoped to the caller', async () => {
    const lp = await makeUser(ctx.app, admin, 'auditor', 'province', 'LP');
    const inGp = await makeUser(ctx.app, gp, 'auditor', 'municipality', 'GT421');
    const all: { id: string; email: string; provinceCode?: string }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { body: { data: typeof all; nextCursor: string | null } } = await as(gp)
        .get(`/api/v1/users?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
        .expect(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      all.push(...res.body.data);
      cursor = res.body.nextCursor;
      pages += 1;
    } while (cursor && pages < 50);
    const ids = all.map((u) => u.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain(inGp.id);
    expect(ids).toContain(gpAdmin.id);
    expect(ids).not.toContain(lp.id);
    expect(ids).not.toContain(admin.userId);
    const { rows } = await ctx.db.pool.query(`SELECT id FROM users WHERE province_code = 'GP'`);
    expect(ids.sort()).toEqual(rows.map((r: { id: string }) => r.id).sort());

    const auditors = await as(gp).get('/api/v1/users?role=auditor&limit=100').expect(200);
    expect(auditors.body.data.every((u: { role: string }) => u.role === 'auditor')).toBe(true);
    expect(auditors.body.data.map((u: { id: string }) => u.id)).toContain(inGp.id);
    const byQ = await as(gp)
      .get(`/api/v1/users?q=${encodeURIComponent(inGp.email.slice(0, 20))}`)
      .expect(200);
    expect(byQ.body.data.map((u: { id: string }) => u.id)).toEqual([inGp.id]);
    const wildcard = await as(gp).get('/api/v1/users?q=%25').expect(200);
    expect(wildcard.body.data).toEqual([]);
    const everyone = await as(admin).get('/api/v1/users?limit=100').expect(200);
    expect(everyone.body.data.map((u: { id: string }) => u.id)).toEqual(
      expect.arrayContaining([lp.id, inGp.id, admin.userId]),
    );
  });

  it('disabling a user kills their access at once; enabling lets them sign in again', async () => {
    const user = await makeUser(ctx.app, gp, 'ward_admin', 'ward', '79800001');
    const a = await signIn(ctx.app, user.email, TEST_PASSWORD);
    const b = await signIn(ctx.app, user.email, TEST_PASSWORD);
    await me(a).expect(200);

    const res = await as(gp).post(`/api/v1/users/${user.id}/disable`).expect(200);
    expect(res.body).toMatchObject({ id: user.id, active: false });
    await me(a).expect(401);
    await me(b).expect(401);
    await ctx.app
      .http()
      .post('/api/v1/auth/refresh')
      .set('x-forwarded-for', nextIp())
      .send({ refreshToken: b.refreshToken })
      .expect(401);
    expect((await loginRequest(ctx.app, user.email, TEST_PASSWORD)).status).toBe(401);

    const listed = await as(gp).get('/api/v1/users?active=false&limit=100').expect(200);
    expect(listed.body.data.map((u: { id: string }) => u.id)).toContain(user.id);

    await as(gp).post(`/api/v1/users/${user.id}/enable`).expect(200);
    await signIn(ctx.app, user.email, TEST_PASSWORD);
    const audit = await ctx.db.pool.query(
      `SELECT action, actor_user_id, changes FROM audit_events WHERE entity_id = $1 AND action IN ('user.disabled', 'user.enabled', 'auth.sessions_revoked') ORDER BY occurred_at`,
      [user.id],
    );
    expect(audit.rows).toEqual([
      {
        action: 'user.disabled',
        actor_user_id: gpAdmin.id,
        changes: { active: { from: true, to: false } },
      },
      {
        action: 'auth.sessions_revoked',
        actor_user_id: gpAdmin.id,
        changes: { reason: 'disabled', sessions: 2 },
      },
      {
        action: 'user.enabled',
        actor_user_id: gpAdmin.id,
        changes: { active: { from: false, to: true } },
      },
    ]);
  });

  it('reset-password gives a one-time password and ends every session', async () => {
    const user = await makeUser(ctx.app, gp, 'auditor', 'province', 'GP');
    const session = await signIn(ctx.app, user.email, TEST_PASSWORD);
    const res = await as(gp).post(`/api/v1/users/${user.id}/reset-password`).expect(200);
    expect(res.body).toEqual({
      temporaryPassword: expect.stringMatching(/^.{16,}$/),
      passwordChangeRequired: true,
    });
    await me(session).expect(401);
    expect((await loginRequest(ctx.app, user.email, TEST_PASSWORD)).status).toBe(401);
    await signIn(ctx.app, user.email, res.body.temporaryPassword);
    const audit = await ctx.db.pool.query(
      `SELECT actor_user_id, changes FROM audit_events WHERE action = 'user.password_reset' AND entity_id = $1`,
      [user.id],
    );
    expect(audit.rows).toEqual([
      { actor_user_id: gpAdmin.id, changes: { passwordChangeRequired: true } },
    ]);
    expect(JSON.stringify(audit.rows)).not.toContain(res.body.temporaryPassword);
  });

  it('answers 404 for a user that does not exist, on reads and writes', async () => {
    const id = '0b5d1f7e-1111-4c55-9d0a-0d4a0f0d9e11';
    await as(admin).get(`/api/v1/users/${id}`).expect(404);
    await as(admin).patch(`/api/v1/users/${id}`, { name: 'X' }).expect(404);
    await as(admin).post(`/api/v1/users/${id}/disable`).expect(404);
  });

  it('keeps audit events append-only and emails lower-case in the database itself', async () => {
    const { rows } = await ctx.db.pool.query('SELECT count(*)::int AS n FROM audit_events');
    expect(rows[0].n).toBeGreaterThan(0);
    await expect(ctx.db.pool.query(`UPDATE audit_events SET action = 'forged'`)).rejects.toThrow(
      /append-only/,
    );
    await expect(ctx.db.pool.query('DELETE FROM audit_events')).rejects.toThrow(/append-only/);
    await expect(ctx.db.pool.query('TRUNCATE audit_events')).rejects.toThrow(/append-only/);
    const after = await ctx.db.pool.query('SELECT count(*)::int AS n FROM audit_events');
    expect(after.rows[0].n).toBeGreaterThanOrEqual(rows[0].n);
    await expect(
      ctx.db.pool.query(`UPDATE users SET email = upper(email) WHERE id = $1`, [gpAdmin.id]),
    ).rejects.toThrow(/CHK_users_email_lower_case/);
  });
});
