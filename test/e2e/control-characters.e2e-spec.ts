import { bearer, createUser, loginAsSuperAdmin, Session, TestUser } from '../harness/auth.js';
import { memberInput } from '../harness/members.js';
import { wardsOf } from '../harness/member-rows.js';
import { nextEvent, realtimeSocket, refusal, connectRealtime } from '../harness/realtime.js';
import { startTestContext, TestContext } from '../harness/test-app.js';

interface Problem {
  status: number;
  code: string;
  errors?: { field: string; code: string; message: string }[];
}

function expectControlProblem(body: Problem, field: string): void {
  expect(body.code).toBe('VALIDATION_FAILED');
  expect(body.errors).toEqual(
    expect.arrayContaining([expect.objectContaining({ field, code: 'controlCharacters' })]),
  );
}

describe('#15.13 NUL byte answers 500', () => {
  let ctx: TestContext;
  let admin: Session;
  let gp: TestUser;

  beforeAll(async () => {
    ctx = await startTestContext({ IMPORT_BATCH_SIZE: '3' });
    admin = await loginAsSuperAdmin(ctx.app);
    gp = await createUser(ctx.app, admin, 'provincial_admin', 'province', 'GP');
  });
  afterAll(() => ctx?.close());

  it('refuses a NUL in PATCH /users/me name with a 400 naming the field, and stores nothing', async () => {
    const res = await ctx.app
      .http()
      .patch('/api/v1/users/me')
      .set(...bearer(gp))
      .send({ name: 'Thandi\u0000Mokoena' });
    expect(res.status).toBe(400);
    expectControlProblem(res.body as Problem, 'name');
    const { rows } = await ctx.db.pool.query<{ name: string }>(
      'SELECT name FROM users WHERE id = $1',
      [gp.userId],
    );
    expect(rows[0]?.name).not.toContain('Thandi');
  });

  it.each([
    ['a bell in a name', { firstNames: 'Thandi\u0007' }, 'firstNames'],
    ['an escape in a surname', { surname: '\u001b[31mMokoena' }, 'surname'],
    [
      'a NUL in the address',
      { residentialAddress: '12 Vilakazi\u0000 Street' },
      'residentialAddress',
    ],
    ['a line break in a name', { surname: 'Mo\nkoena' }, 'surname'],
    ['a NUL in an unknown property', { 'x\u0000': 'y' }, 'x'],
  ])('refuses %s in POST /members', async (_name, change, field) => {
    const res = await ctx.app
      .http()
      .post('/api/v1/members')
      .set(...bearer(gp))
      .send(memberInput(change));
    expect(res.status).toBe(400);
    expectControlProblem(res.body as Problem, field);
  });

  it('lets line breaks and tabs through in free text (an address)', async () => {
    await ctx.app
      .http()
      .post('/api/v1/members')
      .set(...bearer(gp))
      .send(memberInput({ residentialAddress: '12 Vilakazi Street\r\nOrlando West\tSoweto' }))
      .expect(201);
  });

  it('refuses control characters in a query string and a path parameter', async () => {
    const query = await ctx.app
      .http()
      .get('/api/v1/members?q=Mok%00oena')
      .set(...bearer(gp));
    expect(query.status).toBe(400);
    expectControlProblem(query.body as Problem, 'q');
    const path = await ctx.app
      .http()
      .get('/api/v1/members/%00')
      .set(...bearer(gp));
    expect(path.status).toBe(400);
    expectControlProblem(path.body as Problem, 'id');
  });

  it('rejects an import row with a control character in a cell (a NUL refuses the whole CSV), naming the field, and imports the rest', async () => {
    const [ward] = await wardsOf(ctx.db.pool, 'GP', 1);
    const good = memberInput({ wardCode: ward!.code });
    const bad = memberInput({ wardCode: ward!.code });
    const file = Buffer.from(
      [
        'ID Number,First Names,Surname,Ward Code',
        `${String(good.idNumber)},Thandi,Mokoena,${ward!.code}`,
        `${String(bad.idNumber)},Sipho,Dla\u001bmini,${ward!.code}`,
      ].join('\n'),
    );
    const upload = await ctx.app
      .http()
      .post('/api/v1/members/imports')
      .set(...bearer(gp))
      .attach('file', file, 'register.csv');
    expect(upload.status).toBe(202);
    let job: { status: string; insertedRows: number; rejectedRows: number } | undefined;
    for (let i = 0; i < 200; i += 1) {
      const res = await ctx.app
        .http()
        .get(`/api/v1/members/imports/${(upload.body as { id: string }).id}`)
        .set(...bearer(gp))
        .expect(200);
      job = res.body as typeof job;
      if (job?.status === 'completed' || job?.status === 'failed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(job).toMatchObject({ status: 'completed', insertedRows: 1, rejectedRows: 1 });
    const report = await ctx.app
      .http()
      .get(`/api/v1/members/imports/${(upload.body as { id: string }).id}/report?format=csv`)
      .set(...bearer(gp))
      .expect(200);
    expect(report.text).toContain('surname: surname must not contain control characters');
    expect(report.text).not.toContain('\u001b');
  });

  it('refuses a socket handshake or message carrying a control character', async () => {
    const error = await refusal(realtimeSocket(ctx.app, { token: `${gp.accessToken}\u0000` }));
    expect((error as Error & { data?: Problem }).data?.code).toBe('VALIDATION_FAILED');
    expect((error as Error & { data?: Problem }).data?.errors?.[0]?.field).toBe('auth.token');

    const socket = await connectRealtime(ctx.app, { token: gp.accessToken });
    try {
      const problem = nextEvent<Problem>(socket, 'problem');
      socket.emit('subscribe', { room: 'ward\u0000' });
      const body = await problem;
      expectControlProblem(body, 'subscribe[0].room');
    } finally {
      socket.close();
    }
  });
});
