import { bearer, createUser, loginAsSuperAdmin, Session, TestUser } from '../harness/auth.js';
import { insertMembers, makeIdNumber, WardRow } from '../harness/member-rows.js';
import { startTestContext, TestContext } from '../harness/test-app.js';

interface Area {
  code: string;
  total: number;
  byStatus: Record<string, number>;
  byGender: { female: number; male: number };
  byAgeBand: { from18To24: number; from25To34: number; from65: number } & Record<string, number>;
  joinedLast30Days: number;
  joinedLast365Days: number;
}

const today = new Date();
const daysAgo = (n: number): string =>
  new Date(today.getTime() - n * 86_400_000).toISOString().slice(0, 10);

describe('Membership statistics (e2e)', () => {
  let ctx: TestContext;
  let admin: Session;
  let gp: TestUser;
  let wardAdmin: TestUser;
  let muni: string;
  let wards: WardRow[];

  beforeAll(async () => {
    ctx = await startTestContext({
      STATS_CACHE_TTL_SECONDS: '0',
      STATS_REFRESH_INTERVAL_SECONDS: '0',
      GOOD_STANDING_MIN_ACTIVE: '3',
    });
    admin = await loginAsSuperAdmin(ctx.app);
    gp = await createUser(ctx.app, admin, 'provincial_admin', 'province', 'GP');
    const { rows } = await ctx.db.pool.query<WardRow>(
      `SELECT code, municipality_code, district_code, province_code FROM wards
       WHERE municipality_code = (SELECT municipality_code FROM wards WHERE province_code = 'GP'
         GROUP BY municipality_code HAVING count(*) >= 3 ORDER BY municipality_code LIMIT 1)
       ORDER BY code`,
    );
    wards = rows;
    muni = rows[0]!.municipality_code;
    wardAdmin = await createUser(ctx.app, admin, 'ward_admin', 'ward', wards[1]!.code);
    const [lp] = (
      await ctx.db.pool.query<WardRow>("SELECT code FROM wards WHERE province_code = 'LP' LIMIT 1")
    ).rows;
    let n = 0;
    const member = (
      wardCode: string,
      extra: Partial<Parameters<typeof insertMembers>[1][number]> = {},
    ) => {
      n += 1;
      return {
        idNumber: makeIdNumber(extra.dateOfBirth ?? '1990-01-01', n, extra.gender ?? 'female'),
        wardCode,
        ...extra,
      };
    };
    await insertMembers(ctx.db.pool, [
      member(wards[0]!.code, { joinedOn: daysAgo(5) }),
      member(wards[0]!.code, { gender: 'male', dateOfBirth: '1950-06-01', joinedOn: daysAgo(100) }),
      member(wards[0]!.code, { dateOfBirth: '2001-03-03', joinedOn: '2023-06-15' }),
      member(wards[0]!.code, { status: 'expired', joinedOn: '2022-01-10' }),
      member(wards[0]!.code, { anonymised: true }),
      member(wards[1]!.code, { gender: 'male', joinedOn: '2023-06-20' }),
      member(lp!.code, { joinedOn: '2023-07-01' }),
      member(lp!.code, { status: 'suspended', joinedOn: '2023-07-02' }),
    ]);
    // An import that writes members refreshes the views (and publishes stats.updated).
    const csv = `ID Number,First Names,Surname,Ward Code,Joined On\n${makeIdNumber('1980-02-02', 99)},Imported,Member,${wards[1]!.code},2023-06-25\n`;
    const res = await ctx.app
      .http()
      .post('/api/v1/members/imports')
      .set(...bearer(admin))
      .attach('file', Buffer.from(csv), 'one.csv');
    expect(res.status).toBe(202);
    for (let i = 0; i < 100; i += 1) {
      const s = await ctx.app
        .http()
        .get('/api/v1/stats/membership?level=province')
        .set(...bearer(admin));
      const gpRow = (s.body as { data: Area[] }).data?.find((a) => a.code === 'GP');
      if (gpRow && gpRow.total === 6) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(() => ctx?.close());

  it('counts per province match SQL over the members table', async () => {
    const res = await ctx.app
      .http()
      .get('/api/v1/stats/membership?level=province')
      .set(...bearer(admin));
    expect(res.status).toBe(200);
    const data = (res.body as { data: Area[]; refreshedAt: string }).data;
    expect(data).toHaveLength(9);
    const { rows } = await ctx.db.pool.query<{
      code: string;
      status: string;
      gender: string;
      n: number;
    }>(
      `SELECT province_code AS code, status, gender, count(*)::int AS n FROM members
       WHERE anonymised_at IS NULL GROUP BY 1, 2, 3`,
    );
    for (const area of data) {
      const mine = rows.filter((r) => r.code === area.code);
      expect(area.total).toBe(mine.reduce((s, r) => s + r.n, 0));
      expect(area.byStatus.active).toBe(
        mine.filter((r) => r.status === 'active').reduce((s, r) => s + r.n, 0),
      );
      expect(area.byStatus.expired).toBe(
        mine.filter((r) => r.status === 'expired').reduce((s, r) => s + r.n, 0),
      );
      expect(area.byStatus.suspended).toBe(
        mine.filter((r) => r.status === 'suspended').reduce((s, r) => s + r.n, 0),
      );
      expect(area.byGender.male).toBe(
        mine.filter((r) => r.gender === 'male').reduce((s, r) => s + r.n, 0),
      );
      expect(Object.values(area.byAgeBand).reduce((s, v) => s + v, 0)).toBe(area.total);
    }
    const gpRow = data.find((a) => a.code === 'GP')!;
    expect(gpRow.total).toBe(6);
    expect(gpRow.byAgeBand.from65).toBe(1);
    expect(gpRow.byAgeBand.from18To24 + gpRow.byAgeBand.from25To34).toBeGreaterThanOrEqual(1);
    const recent = await ctx.db.pool.query<{ d30: number; d365: number }>(
      `SELECT count(*) FILTER (WHERE joined_on > current_date - 30)::int AS d30,
         count(*) FILTER (WHERE joined_on > current_date - 365)::int AS d365
       FROM members WHERE province_code = 'GP' AND anonymised_at IS NULL`,
    );
    expect(gpRow.joinedLast30Days).toBe(recent.rows[0]!.d30);
    expect(gpRow.joinedLast365Days).toBe(recent.rows[0]!.d365);
  });

  it('drills down to wards and keeps to the caller’s scope', async () => {
    const res = await ctx.app
      .http()
      .get(`/api/v1/stats/membership?level=ward&parentCode=${muni}`)
      .set(...bearer(gp));
    expect(res.status).toBe(200);
    const data = (res.body as { data: Area[] }).data;
    const { rows } = await ctx.db.pool.query<{ code: string; n: number }>(
      `SELECT w.code, count(m.id)::int AS n FROM wards w
       LEFT JOIN members m ON m.ward_code = w.code AND m.anonymised_at IS NULL
       WHERE w.municipality_code = $1 GROUP BY w.code ORDER BY w.code`,
      [muni],
    );
    expect(data.map((a) => [a.code, a.total])).toEqual(rows.map((r) => [r.code, r.n]));

    const provinces = await ctx.app
      .http()
      .get('/api/v1/stats/membership?level=province')
      .set(...bearer(gp));
    expect((provinces.body as { data: Area[] }).data.map((a) => a.code)).toEqual(['GP']);
    const lp = await ctx.app
      .http()
      .get('/api/v1/stats/membership?level=district&parentCode=LP')
      .set(...bearer(gp));
    expect(lp.status).toBe(404);
    const nowhere = await ctx.app
      .http()
      .get('/api/v1/stats/membership?level=district&parentCode=ZZ')
      .set(...bearer(gp));
    expect(nowhere.status).toBe(404);

    const own = await ctx.app
      .http()
      .get(`/api/v1/stats/membership?level=ward&parentCode=${muni}`)
      .set(...bearer(wardAdmin));
    expect(own.status).toBe(200);
    expect((own.body as { data: Area[] }).data.map((a) => [a.code, a.total])).toEqual([
      [wards[1]!.code, 2],
    ]);
  });

  it('reports good standing, representation and the assembly rule from configured thresholds', async () => {
    const res = await ctx.app
      .http()
      .get(`/api/v1/stats/standing?level=municipality&code=${muni}`)
      .set(...bearer(gp));
    expect(res.status).toBe(200);
    const body = res.body as {
      wards: number;
      wardsInGoodStanding: number;
      percentage: number;
      assemblyMaySit: boolean;
      thresholds: Record<string, number>;
      municipalities: {
        code: string;
        adequatelyRepresented: boolean;
        wardsInGoodStanding: number;
      }[];
    };
    const { rows } = await ctx.db.pool.query<{ wards: number; good: number }>(
      `SELECT count(*)::int AS wards, count(*) FILTER (WHERE a >= 3)::int AS good FROM (
         SELECT w.code, count(m.id) FILTER (WHERE m.status = 'active' AND m.anonymised_at IS NULL) AS a
         FROM wards w LEFT JOIN members m ON m.ward_code = w.code WHERE w.municipality_code = $1 GROUP BY w.code) x`,
      [muni],
    );
    expect(body.thresholds).toEqual({
      goodStandingMinActive: 3,
      municipalityRepresentationPct: 65,
      assemblyWardPct: 80,
    });
    expect(body.wards).toBe(rows[0]!.wards);
    expect(body.wardsInGoodStanding).toBe(rows[0]!.good);
    expect(body.wardsInGoodStanding).toBe(1);
    expect(body.assemblyMaySit).toBe(false);
    expect(body.municipalities).toEqual([
      expect.objectContaining({ code: muni, wardsInGoodStanding: 1, adequatelyRepresented: false }),
    ]);
    const lp = await ctx.app
      .http()
      .get('/api/v1/stats/standing?level=province&code=LP')
      .set(...bearer(gp));
    expect(lp.status).toBe(404);
    const national = await ctx.app
      .http()
      .get('/api/v1/stats/standing')
      .set(...bearer(gp));
    expect(national.status).toBe(200);
    const wardsInGp = await ctx.db.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM wards WHERE province_code = 'GP'",
    );
    expect((national.body as { wards: number }).wards).toBe(wardsInGp.rows[0]!.n);
  });

  it('gives growth per month with a running total', async () => {
    const res = await ctx.app
      .http()
      .get('/api/v1/stats/growth?from=2023-06-01&to=2023-08-31&interval=month')
      .set(...bearer(admin));
    expect(res.status).toBe(200);
    const { rows } = await ctx.db.pool.query<{ period: string; n: number }>(
      `SELECT to_char(date_trunc('month', joined_on), 'YYYY-MM') AS period, count(*)::int AS n FROM members
       WHERE anonymised_at IS NULL AND joined_on BETWEEN '2023-06-01' AND '2023-08-31' GROUP BY 1`,
    );
    const before = await ctx.db.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM members WHERE anonymised_at IS NULL AND joined_on < '2023-06-01'",
    );
    const data = (res.body as { data: { period: string; joined: number; cumulative: number }[] })
      .data;
    expect(data.map((d) => d.period)).toEqual(['2023-06', '2023-07', '2023-08']);
    let running = before.rows[0]!.n;
    for (const point of data) {
      const joined = rows.find((r) => r.period === point.period)?.n ?? 0;
      running += joined;
      expect(point).toEqual({ period: point.period, joined, cumulative: running });
    }
    const scoped = await ctx.app
      .http()
      .get('/api/v1/stats/growth?from=2023-06-01&to=2023-08-31')
      .set(...bearer(gp));
    expect((scoped.body as { data: { joined: number }[] }).data.map((d) => d.joined)).toEqual([
      3, 0, 0,
    ]);
    const bad = await ctx.app
      .http()
      .get('/api/v1/stats/growth?from=2024-01-01&to=2023-01-01')
      .set(...bearer(gp));
    expect(bad.status).toBe(400);
  });
});
