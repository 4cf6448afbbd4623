import { bearer, createUser, loginAsSuperAdmin } from '../harness/auth.js';
import {
  connectRealtime,
  decodeJwt,
  disconnection,
  nextEvent,
  realtimeSocket,
  refusal,
  signJwt,
} from '../harness/realtime.js';
import { startTestContext, TestContext, testRedisUrl } from '../harness/test-app.js';

const PORTAL = 'https://portal.eff.test';

describe('Realtime gateway: handshake, expiry, logout (e2e)', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await startTestContext({
      REDIS_URL: testRedisUrl(),
      REFRESH_TOKEN_TTL_SECONDS: '300',
      REDIS_KEY_PREFIX: `rt-${process.pid}:`,
      CORS_ORIGINS: PORTAL,
      REALTIME_MAX_MESSAGE_BYTES: '2048',
    });
  });
  afterAll(() => ctx?.close());

  it('refuses a socket without a token', async () => {
    const error = await refusal(realtimeSocket(ctx.app));
    expect(error.message).toMatch(/access token/i);
  });

  it('refuses a socket with a forged or expired token', async () => {
    const admin = await loginAsSuperAdmin(ctx.app);
    expect((await refusal(realtimeSocket(ctx.app, { token: 'not-a-jwt' }))).message).toMatch(
      /access token/i,
    );
    const claims = decodeJwt(admin.accessToken);
    const now = Math.floor(Date.now() / 1000);
    const expired = signJwt({ ...claims, iat: now - 120, exp: now - 60 });
    expect((await refusal(realtimeSocket(ctx.app, { token: expired }))).message).toMatch(
      /access token/i,
    );
    const wrongKey = signJwt({ ...claims }, 'another-secret-another-secret-another-secret-00');
    expect((await refusal(realtimeSocket(ctx.app, { token: wrongKey }))).message).toMatch(
      /access token/i,
    );
  });

  it('refuses a browser from a foreign origin and accepts one from CORS_ORIGINS', async () => {
    const admin = await loginAsSuperAdmin(ctx.app);
    const foreign = await refusal(
      realtimeSocket(ctx.app, { token: admin.accessToken, origin: 'https://evil.example' }),
    );
    expect(foreign).toBeInstanceOf(Error);
    const foreignPolling = await refusal(
      realtimeSocket(ctx.app, {
        token: admin.accessToken,
        origin: 'https://evil.example',
        transports: ['polling'],
      }),
    );
    expect(foreignPolling).toBeInstanceOf(Error);
    const ok = await connectRealtime(ctx.app, { token: admin.accessToken, origin: PORTAL });
    expect(ok.connected).toBe(true);
    ok.close();
  });

  it('accepts the token as an Authorization: Bearer header', async () => {
    const admin = await loginAsSuperAdmin(ctx.app);
    const socket = await connectRealtime(ctx.app, { token: admin.accessToken, via: 'header' });
    expect(socket.connected).toBe(true);
    socket.close();
  });

  it('closes the socket when its access token expires', async () => {
    const admin = await loginAsSuperAdmin(ctx.app);
    const claims = decodeJwt(admin.accessToken);
    const soon = signJwt({ ...claims, exp: Math.floor(Date.now() / 1000) + 2 });
    const socket = await connectRealtime(ctx.app, { token: soon });
    const ended = nextEvent<{ reason: string }>(socket, 'session.ended', 5000);
    const reason = await disconnection(socket, 5000);
    expect(await ended).toEqual({ reason: 'expired' });
    expect(reason).toBe('io server disconnect');
  });

  it('closes the sockets of a session at logout, and only those', async () => {
    const admin = await loginAsSuperAdmin(ctx.app);
    const user = await createUser(ctx.app, admin, 'provincial_admin', 'province', 'GP');
    const other = await loginAsSuperAdmin(ctx.app);
    const mine = await connectRealtime(ctx.app, { token: user.accessToken });
    const theirs = await connectRealtime(ctx.app, { token: other.accessToken });
    // Listen first: the server closes this process's sockets before it answers the logout, so the close can
    // reach the client before the 204 does.
    const closed = disconnection(mine, 3000);
    const res = await ctx.app
      .http()
      .post('/api/v1/auth/logout')
      .set(...bearer(user));
    expect(res.status).toBe(204);
    expect(await closed).toBe('io server disconnect');
    expect(theirs.connected).toBe(true);
    // and the ended session cannot open a new socket
    expect((await refusal(realtimeSocket(ctx.app, { token: user.accessToken }))).message).toMatch(
      /access token/i,
    );
    theirs.close();
  });

  it('closes every socket of a user at logout-all', async () => {
    const admin = await loginAsSuperAdmin(ctx.app);
    const user = await createUser(ctx.app, admin, 'ward_admin', 'ward', '79800001');
    const a = await connectRealtime(ctx.app, { token: user.accessToken });
    const b = await connectRealtime(ctx.app, { token: user.accessToken });
    const res = await ctx.app
      .http()
      .post('/api/v1/auth/logout-all')
      .set(...bearer(user));
    expect(res.status).toBe(204);
    await Promise.all([disconnection(a), disconnection(b)]);
  });

  it('drops a client that sends a message larger than REALTIME_MAX_MESSAGE_BYTES', async () => {
    const admin = await loginAsSuperAdmin(ctx.app);
    const socket = await connectRealtime(ctx.app, { token: admin.accessToken });
    socket.emit('anything', 'x'.repeat(10_000));
    expect(await disconnection(socket, 3000)).toMatch(/transport (close|error)/);
  });

  it('reports connected sockets in /metrics', async () => {
    const admin = await loginAsSuperAdmin(ctx.app);
    const socket = await connectRealtime(ctx.app, { token: admin.accessToken });
    const metrics = await ctx.app.http().get('/metrics');
    expect(metrics.text).toMatch(/eff_realtime_connected_sockets [1-9]/);
    socket.close();
  });
});
