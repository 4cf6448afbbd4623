import { AppRole, createAppRole } from '../harness/app-role.js';
import { loginAsSuperAdmin, Session } from '../harness/auth.js';
import { createMember, WARDS } from '../harness/members.js';
import { createTestDatabase, RunningApp, startApp, TestDatabase } from '../harness/test-app.js';

describe('#17 statistics refresh while the API runs as the DML-only app role (eff_app under Compose)', () => {
  let db: TestDatabase;
  let appRole: AppRole;
  let app: RunningApp;
  let admin: Session;

  beforeAll(async () => {
    db = await createTestDatabase();
    appRole = await createAppRole(db);
    app = await startApp(db, {
      DATABASE_URL: appRole.url,
      STATS_REFRESH_INTERVAL_SECONDS: '1',
      STATS_CACHE_TTL_SECONDS: '0',
    });
    admin = await loginAsSuperAdmin(app);
  });
  afterAll(async () => {
    await app?.stop();
    await db?.drop();
    await appRole?.drop();
  });

  async function wardTotal(): Promise<number> {
    const { rows } = await db.pool.query<{ total: number }>(
      'SELECT total FROM stats_ward_membership WHERE ward_code = $1',
      [WARDS.own],
    );
    // The views were materialised by the migrations, before the wards were seeded: no row until a refresh.
    return rows[0]?.total ?? 0;
  }

  it('counts a member the API wrote in the views within a few scheduled refreshes', async () => {
    const before = await wardTotal();
    await createMember(app, admin, { wardCode: WARDS.own });
    const deadline = Date.now() + 20_000;
    while ((await wardTotal()) === before && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 250));
    expect(app.output()).not.toContain('Refreshing statistics failed');
    expect(await wardTotal()).toBe(before + 1);
  });

  it('gives the app role no other power over the views', async () => {
    const { Client } = await import('pg');
    const client = new Client({ connectionString: appRole.url });
    await client.connect();
    try {
      await expect(
        client.query('REFRESH MATERIALIZED VIEW CONCURRENTLY stats_ward_membership'),
      ).rejects.toThrow(/must be owner|permission denied/);
      await expect(client.query('DROP MATERIALIZED VIEW stats_joins_monthly')).rejects.toThrow(
        /must be owner|permission denied/,
      );
    } finally {
      await client.end();
    }
  });
});
