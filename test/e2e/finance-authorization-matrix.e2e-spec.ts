import { bearer } from '../harness/auth.js';
import {
  FORBIDDEN,
  Matrix,
  PerTarget,
  Place,
  startMatrix,
  MATRIX_ROLES_WITH_FINANCE,
} from '../harness/matrix.js';
import { WARDS } from '../harness/members.js';

/**
 * Every finance route x every role x an area (the place's ward, areaLevel=ward) in the caller's own area, a
 * sibling area and the parent's wider area (test/harness/matrix.ts). An area outside the caller's answers 404;
 * roles without payments:read get 403 before any lookup.
 */
const ROLES = MATRIX_ROLES_WITH_FINANCE;
type Role = (typeof ROLES)[number];

const ROUTES = {
  pending: '/api/v1/finance/pending-payments',
  pendingExport: '/api/v1/finance/pending-payments/export',
  totals: '/api/v1/finance/totals',
  totalsExport: '/api/v1/finance/totals/export?format=xlsx',
  forecast: '/api/v1/finance/renewal-forecast',
  forecastMembers: '/api/v1/finance/renewal-forecast/members',
  forecastExport: '/api/v1/finance/renewal-forecast/export',
} as const;
type Route = keyof typeof ROUTES;
type Expected = Record<Route, PerTarget> & { ownArea: number };

const every = (perTarget: PerTarget, ownArea: number): Expected => ({
  ownArea,
  ...(Object.fromEntries(Object.keys(ROUTES).map((r) => [r, perTarget])) as Record<
    Route,
    PerTarget
  >),
});
const NATIONAL = every([200, 200, 200], 200);
const AREA = every([200, 404, 404], 200);

const EXPECTED: Record<Role, Expected> = {
  super_admin: NATIONAL,
  national_admin: NATIONAL,
  provincial_admin: AREA,
  regional_admin: AREA,
  subregional_admin: AREA,
  ward_admin: AREA,
  auditor: AREA,
  finance_officer: AREA,
  finance_officer_ward: AREA,
  member: every(FORBIDDEN, 403),
};

describe('finance views: authorisation matrix (e2e)', () => {
  let m: Matrix<Role>;

  beforeAll(async () => {
    m = await startMatrix(ROLES);
  }, 120_000);
  afterAll(() => m?.t.close());

  const http = () => m.t.app.http();
  const withArea = (url: string, place: Place): string =>
    `${url}${url.includes('?') ? '&' : '?'}areaLevel=ward&areaCode=${WARDS[place]}`;

  it('refuses every finance route without a token (401)', async () => {
    for (const url of Object.values(ROUTES)) expect((await http().get(url)).status).toBe(401);
  });

  it.each(ROLES)('%s', async (role) => {
    const b = bearer(m.sessions[role]);
    const actual = { ownArea: 0 } as Expected;
    // no area given: the caller's own
    actual.ownArea = (
      await http()
        .get(ROUTES.totals)
        .set(...b)
    ).status;
    for (const route of Object.keys(ROUTES) as Route[]) {
      actual[route] = await m.perTarget(
        role,
        async (p) =>
          (
            await http()
              .get(withArea(ROUTES[route], p))
              .set(...b)
          ).status,
      );
    }
    expect(actual).toEqual(EXPECTED[role]);
  });
});
