import { createUser, loginAsSuperAdmin } from '../harness/auth.js';
import { startTestContext, TestContext } from '../harness/test-app.js';

describe('Test harness: users and sign-in (e2e)', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await startTestContext();
  });
  afterAll(() => ctx?.close());

  it('creates a scoped admin through the API and signs them in', async () => {
    const admin = await loginAsSuperAdmin(ctx.app);
    const gp = await createUser(ctx.app, admin, 'provincial_admin', 'province', 'GP');
    const me = await ctx.app
      .http()
      .get('/api/v1/auth/me')
      .set('authorization', `Bearer ${gp.accessToken}`);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      role: 'provincial_admin',
      scopeLevel: 'province',
      scopeCode: 'GP',
    });
  });
});
