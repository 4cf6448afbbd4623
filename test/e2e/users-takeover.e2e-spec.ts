import { jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Session, TEST_PASSWORD } from '../harness/auth.js';
import { CreatedUser, loginRequest, makeUser, nextIp, signIn } from '../harness/accounts.js';
import { connectRealtime, disconnection, realtimeSocket, refusal } from '../harness/realtime.js';
import {
  createTestDatabase,
  RunningApp,
  startApp,
  TEST_ADMIN,
  TestDatabase,
  testRedisUrl,
} from '../harness/test-app.js';

// Two API processes; under a loaded machine each takes a while to start.
jest.setTimeout(180_000);

const NEW_PASSWORD = 'Fresh-Ward-Secret-7731!';

describe('#15.9 same-rank takeover (two API processes sharing Redis)', () => {
  let db: TestDatabase;
  let a: RunningApp;
  let b: RunningApp;
  let admin: Session;
  beforeAll(async () => {
    db = await createTestDatabase();
    const env = {
      REDIS_URL: testRedisUrl(),
      REDIS_KEY_PREFIX: `takeover${randomBytes(3).toString('hex')}:`,
      AUTH_THROTTLE_LIMIT: '1000',
    };
    a = await startApp(db, env);
    b = await startApp(db, env);
    admin = await signIn(a, TEST_ADMIN.email, TEST_ADMIN.password);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
  });

  const as = (session: Session) => ['authorization', `Bearer ${session.accessToken}`] as const;

  it('an admin cannot reset, disable, re-role or rename an admin of the same rank, nor create one', async () => {
    const actorUser = await makeUser(a, admin, 'provincial_admin', 'province', 'GP');
    const peer = await makeUser(a, admin, 'provincial_admin', 'province', 'GP');
    const actor = await signIn(a, actorUser.email, TEST_PASSWORD);
    const peerSession = await signIn(b, peer.email, TEST_PASSWORD);
    const before = await db.pool.query('SELECT * FROM users WHERE id = $1', [peer.id]);

    const attempts = [
      a.http().post(`/api/v1/users/${peer.id}/reset-password`),
      a.http().post(`/api/v1/users/${peer.id}/disable`),
      a.http().patch(`/api/v1/users/${peer.id}`).send({ role: 'auditor' }),
      a.http().patch(`/api/v1/users/${peer.id}`).send({ name: 'Taken over' }),
      a
        .http()
        .post('/api/v1/users')
        .send({
          email: `peer.${randomBytes(4).toString('hex')}@test.local`,
          name: 'Another peer',
          password: TEST_PASSWORD,
          role: 'provincial_admin',
          scopeLevel: 'province',
          scopeCode: 'GP',
        }),
    ];
    for (const attempt of attempts) {
      const res = await attempt.set(...as(actor));
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ code: 'FORBIDDEN' });
    }
    const after = await db.pool.query('SELECT * FROM users WHERE id = $1', [peer.id]);
    expect(after.rows[0]).toEqual(before.rows[0]);
    await b
      .http()
      .get('/api/v1/auth/me')
      .set(...as(peerSession))
      .expect(200);
    // The peer is still visible to read.
    await a
      .http()
      .get(`/api/v1/users/${peer.id}`)
      .set(...as(actor))
      .expect(200);
  });

  describe('a reset by a more senior admin', () => {
    let actor: Session;
    let holder: CreatedUser;
    let temporaryPassword: string;

    it('ends the holder’s sessions at once on every process and is audited', async () => {
      const actorUser = await makeUser(a, admin, 'provincial_admin', 'province', 'GP');
      actor = await signIn(a, actorUser.email, TEST_PASSWORD);
      holder = await makeUser(a, admin, 'ward_admin', 'ward', '74201001');
      const onA = await signIn(a, holder.email, TEST_PASSWORD);
      const onB = await signIn(b, holder.email, TEST_PASSWORD);
      const socket = await connectRealtime(b, { token: onB.accessToken });
      const closed = disconnection(socket, 5000);

      const res = await a
        .http()
        .post(`/api/v1/users/${holder.id}/reset-password`)
        .set(...as(actor))
        .expect(200);
      expect(res.body).toEqual({
        temporaryPassword: expect.any(String),
        passwordChangeRequired: true,
      });
      temporaryPassword = res.body.temporaryPassword as string;

      for (const [app, session] of [
        [a, onA],
        [b, onB],
      ] as const) {
        await app
          .http()
          .get('/api/v1/auth/me')
          .set(...as(session))
          .expect(401);
        await app
          .http()
          .post('/api/v1/auth/refresh')
          .set('x-forwarded-for', nextIp())
          .send({ refreshToken: session.refreshToken })
          .expect(401);
      }
      await closed;
      expect((await loginRequest(b, holder.email, TEST_PASSWORD)).status).toBe(401);

      const { rows } = await db.pool.query(
        `SELECT action, actor_user_id, changes FROM audit_events
          WHERE entity_id = $1 AND action IN ('user.password_reset', 'auth.sessions_revoked')
          ORDER BY occurred_at, action DESC`,
        [holder.id],
      );
      expect(rows).toEqual([
        {
          action: 'user.password_reset',
          actor_user_id: actorUser.id,
          changes: { passwordChangeRequired: true },
        },
        {
          action: 'auth.sessions_revoked',
          actor_user_id: actorUser.id,
          changes: { reason: 'password_reset', sessions: 2 },
        },
      ]);
    });

    it('the reset password signs in only far enough to change it: every other route answers 403 PASSWORD_CHANGE_REQUIRED', async () => {
      const first = await loginRequest(b, holder.email, temporaryPassword);
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ passwordChangeRequired: true, user: { id: holder.id } });
      const limited: Session = {
        accessToken: first.body.accessToken,
        refreshToken: first.body.refreshToken,
        userId: holder.id,
      };

      const refused = [
        a.http().get('/api/v1/auth/me'),
        b.http().get('/api/v1/members?limit=5'),
        a.http().get('/api/v1/users'),
        b.http().patch('/api/v1/users/me').send({ name: 'Still me' }),
        a.http().post('/api/v1/auth/logout-all'),
      ];
      for (const request of refused) {
        const res = await request.set(...as(limited));
        expect(res.status).toBe(403);
        expect(res.body).toMatchObject({ status: 403, code: 'PASSWORD_CHANGE_REQUIRED' });
      }
      // A refreshed token is just as limited; so are sockets.
      const refreshed = await a
        .http()
        .post('/api/v1/auth/refresh')
        .set('x-forwarded-for', nextIp())
        .send({ refreshToken: limited.refreshToken })
        .expect(200);
      expect(refreshed.body.passwordChangeRequired).toBe(true);
      const again: Session = { ...limited, ...refreshed.body };
      const meAgain = await a
        .http()
        .get('/api/v1/auth/me')
        .set(...as(again));
      expect(meAgain.body).toMatchObject({ status: 403, code: 'PASSWORD_CHANGE_REQUIRED' });
      await refusal(realtimeSocket(b, { token: again.accessToken }));

      const change = (body: Record<string, string>) =>
        b
          .http()
          .post('/api/v1/auth/change-password')
          .set(...as(again))
          .set('x-forwarded-for', nextIp())
          .send(body);
      const same = await change({
        currentPassword: temporaryPassword,
        newPassword: temporaryPassword,
      });
      expect(same.status).toBe(400);
      expect(same.body).toMatchObject({ errors: [{ field: 'newPassword' }] });
      await change({ currentPassword: temporaryPassword, newPassword: NEW_PASSWORD }).expect(204);

      // The change ends the limited session; the reset password is spent; the new one signs in fully.
      await a
        .http()
        .get('/api/v1/auth/me')
        .set(...as(again))
        .expect(401);
      expect((await loginRequest(a, holder.email, temporaryPassword)).status).toBe(401);
      const full = await loginRequest(a, holder.email, NEW_PASSWORD);
      expect(full.status).toBe(200);
      expect(full.body.passwordChangeRequired).toBe(false);
      await b
        .http()
        .get('/api/v1/auth/me')
        .set('authorization', `Bearer ${full.body.accessToken}`)
        .expect(200);
      const { rows } = await db.pool.query(
        'SELECT password_change_required FROM users WHERE id = $1',
        [holder.id],
      );
      expect(rows[0]).toEqual({ password_change_required: false });
    });

    it('documents the flow in OpenAPI for the frontend', async () => {
      const doc = (await a.http().get('/docs-json').expect(200)).body;
      const schemas = doc.components.schemas;
      expect(schemas.LoginResponseDto.properties.passwordChangeRequired).toMatchObject({
        type: 'boolean',
      });
      expect(schemas.LoginResponseDto.required).toContain('passwordChangeRequired');
      expect(schemas.ErrorCode.enum).toContain('PASSWORD_CHANGE_REQUIRED');
      expect(doc.paths['/api/v1/auth/me'].get.responses['403']).toBeDefined();
    });
  });
});
