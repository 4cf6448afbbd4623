import { TEST_PASSWORD } from '../harness/auth.js';
import { makeUser, uniqueEmail } from '../harness/accounts.js';
import { Matrix, MATRIX_ROLES, MATRIX_USERS, startMatrix } from '../harness/matrix.js';

/**
 * Every user-management route, called by each role at its own scope against users at its own scope, a sibling
 * scope and the parent scope (and, for national roles, a scope below). Each target is an auditor, the most
 * junior role with a scope at any level, so the only thing that varies is *where* the target sits. The actors are
 * the users of test/harness/matrix.ts, named by role and scope ('ward_admin 74201001').
 *
 * Columns: POST /users (an auditor at the target's scope), GET /users/{id}, PATCH /users/{id},
 * POST /users/{id}/disable, POST /users/{id}/enable, POST /users/{id}/reset-password, and whether
 * GET /users lists the target ('seen' / 'hidden'; a number is the status of the list itself).
 */
type Expected = [
  actor: string,
  target: string,
  create: number,
  get: number,
  patch: number,
  disable: number,
  enable: number,
  reset: number,
  list: 'seen' | 'hidden' | number,
];

// prettier-ignore
const MATRIX: Expected[] = [
  // actor                       target              create get  patch disable enable reset list
  ['super_admin national',       'national',         201,   200, 200,  200,    200,   200,  'seen'],
  ['super_admin national',       'province GP',      201,   200, 200,  200,    200,   200,  'seen'],
  ['national_admin national',    'national',         403,   200, 403,  403,    403,   403,  'seen'],
  ['national_admin national',    'province GP',      201,   200, 200,  200,    200,   200,  'seen'],
  ['provincial_admin GP',        'province GP',      201,   200, 200,  200,    200,   200,  'seen'],
  ['provincial_admin GP',        'ward 74201001',    201,   200, 200,  200,    200,   200,  'seen'],
  ['provincial_admin GP',        'province LP',      403,   404, 403,  403,    403,   403,  'hidden'],
  ['provincial_admin GP',        'national',         403,   404, 403,  403,    403,   403,  'hidden'],
  ['regional_admin DC42',        'district DC42',    201,   200, 200,  200,    200,   200,  'seen'],
  ['regional_admin DC42',        'district DC48',    403,   404, 403,  403,    403,   403,  'hidden'],
  ['regional_admin DC42',        'province GP',      403,   404, 403,  403,    403,   403,  'hidden'],
  ['subregional_admin GT421',    'municipality GT421', 201, 200, 200,  200,    200,   200,  'seen'],
  ['subregional_admin GT421',    'municipality GT422', 403, 404, 403,  403,    403,   403,  'hidden'],
  ['subregional_admin GT421',    'district DC42',    403,   404, 403,  403,    403,   403,  'hidden'],
  ['ward_admin 74201001',        'ward 74201001',    201,   200, 200,  200,    200,   200,  'seen'],
  ['ward_admin 74201001',        'ward 74201002',    403,   404, 403,  403,    403,   403,  'hidden'],
  ['ward_admin 74201001',        'municipality GT421', 403, 404, 403,  403,    403,   403,  'hidden'],
  ['auditor GP',                 'province GP',      403,   200, 403,  403,    403,   403,  'seen'],
  ['auditor GP',                 'province LP',      403,   404, 403,  403,    403,   403,  'hidden'],
  ['auditor GP',                 'national',         403,   404, 403,  403,    403,   403,  'hidden'],
  ['member 74201001',            'ward 74201001',    403,   403, 403,  403,    403,   403,  403],
  ['member 74201001',            'ward 74201002',    403,   403, 403,  403,    403,   403,  403],
  ['member 74201001',            'municipality GT421', 403, 403, 403,  403,    403,   403,  403],
];

/**
 * A second table: targets as senior as the actor or more, inside the actor's own area. Only a strictly more
 * senior admin (or a super admin) manages an account: a peer may read it, never create, rename, disable,
 * enable, reset or re-role it (#15.9).
 */
// prettier-ignore
const SENIORITY: Expected[] = [
  ['provincial_admin GP',        'provincial_admin GP',        403, 200, 403, 403, 403, 403, 'seen'],
  ['national_admin national',    'national_admin national',    403, 200, 403, 403, 403, 403, 'seen'],
  ['regional_admin DC42',        'regional_admin DC42',        403, 200, 403, 403, 403, 403, 'seen'],
  ['ward_admin 74201001',        'ward_admin 74201001',        403, 200, 403, 403, 403, 403, 'seen'],
  ['super_admin national',       'national_admin national',    201, 200, 200, 200, 200, 200, 'seen'],
  ['regional_admin DC42',        'provincial_admin GP',        403, 404, 403, 403, 403, 403, 'hidden'],
  ['ward_admin 74201001',        'subregional_admin GT421',    403, 404, 403, 403, 403, 403, 'hidden'],
  ['subregional_admin GT421',    'ward_admin 74201001',        201, 200, 200, 200, 200, 200, 'seen'],
  ['national_admin national',    'super_admin national',       403, 200, 403, 403, 403, 403, 'seen'],
];

type Role = (typeof MATRIX_ROLES)[number];

/** The matrix role an actor name ('ward_admin 74201001') stands for; its scope must be that role's. */
function actorRole(name: string): Role {
  const role = name.split(' ')[0] as Role;
  const u = MATRIX_USERS[role];
  if (`${u.role} ${u.code ?? u.level}` !== name) throw new Error(`no matrix user ${name}`);
  return role;
}

function parseTarget(target: string): [role: string, level: string, code: string | null] {
  const parts = target.split(' ');
  if (parts.length === 1) return ['auditor', 'national', null];
  const [first = '', second = ''] = parts;
  if (first in { national: 1, province: 1, district: 1, municipality: 1, ward: 1 })
    return ['auditor', first, second];
  const u = MATRIX_USERS[actorRole(target)];
  return [u.role, u.level, u.code];
}

describe('user management authorisation matrix (e2e)', () => {
  let m: Matrix<Role>;
  const targets = new Map<string, string>();

  beforeAll(async () => {
    m = await startMatrix(MATRIX_ROLES);
    for (const [, target] of [...MATRIX, ...SENIORITY]) {
      if (targets.has(target)) continue;
      const [role, level, code] = parseTarget(target);
      targets.set(target, (await makeUser(m.t.app, m.admin, role, level, code)).id);
    }
  }, 120_000);
  afterAll(() => m?.t.close());

  it('covers every user-management route in the OpenAPI document', async () => {
    const doc = await m.t.app.http().get('/docs-json').expect(200);
    const routes = Object.entries(doc.body.paths as Record<string, Record<string, unknown>>)
      .filter(([path]) => path.startsWith('/api/v1/users'))
      .flatMap(([path, ops]) => Object.keys(ops).map((verb) => `${verb.toUpperCase()} ${path}`))
      .sort();
    expect(routes).toEqual([
      // DELETE …/mfa (super admin only): its matrix is in auth-mfa.e2e-spec.ts.
      'DELETE /api/v1/users/{id}/mfa',
      'GET /api/v1/users',
      'GET /api/v1/users/{id}',
      'PATCH /api/v1/users/me',
      'PATCH /api/v1/users/{id}',
      'POST /api/v1/users',
      'POST /api/v1/users/{id}/disable',
      'POST /api/v1/users/{id}/enable',
      'POST /api/v1/users/{id}/reset-password',
    ]);
  });

  it.each([...MATRIX, ...SENIORITY])(
    '%s → %s: create %d, get %d, patch %d, disable %d, enable %d, reset %d, list %s',
    async (actor, target, create, get, patch, disable, enable, reset, list) => {
      const session = m.sessions[actorRole(actor)];
      const id = targets.get(target);
      if (!id) throw new Error(`no fixture for ${target}`);
      const auth = ['authorization', `Bearer ${session.accessToken}`] as const;
      const http = m.t.app.http;
      const [role, level, code] = parseTarget(target);
      const before = await m.t.db.pool.query('SELECT count(*)::int AS n FROM users');

      const created = await http()
        .post('/api/v1/users')
        .set(...auth)
        .send({
          email: uniqueEmail('matrix'),
          name: 'Matrix',
          password: TEST_PASSWORD,
          role,
          scopeLevel: level,
          scopeCode: code,
        });
      const after = await m.t.db.pool.query('SELECT count(*)::int AS n FROM users');
      const patched = await http()
        .patch(`/api/v1/users/${id}`)
        .set(...auth)
        .send({ name: `Renamed by ${actor}` });
      const actual = {
        create: created.status,
        get: (
          await http()
            .get(`/api/v1/users/${id}`)
            .set(...auth)
        ).status,
        patch: patched.status,
        disable: (
          await http()
            .post(`/api/v1/users/${id}/disable`)
            .set(...auth)
        ).status,
        enable: (
          await http()
            .post(`/api/v1/users/${id}/enable`)
            .set(...auth)
        ).status,
        reset: (
          await http()
            .post(`/api/v1/users/${id}/reset-password`)
            .set(...auth)
        ).status,
        list: await (async () => {
          const res = await http()
            .get('/api/v1/users?limit=100')
            .set(...auth);
          if (res.status !== 200) return res.status;
          return (res.body.data as { id: string }[]).some((u) => u.id === id) ? 'seen' : 'hidden';
        })(),
      };
      expect(actual).toEqual({ create, get, patch, disable, enable, reset, list });
      expect(after.rows[0].n - before.rows[0].n).toBe(create === 201 ? 1 : 0);
      const { rows } = await m.t.db.pool.query('SELECT name, active FROM users WHERE id = $1', [
        id,
      ]);
      expect(rows[0].active).toBe(true);
      if (patch !== 200) expect(rows[0].name).not.toBe(`Renamed by ${actor}`);
      for (const res of [created, patched]) {
        if (res.status >= 400) {
          expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
          expect(res.body.code).toBe(res.status === 403 ? 'FORBIDDEN' : 'NOT_FOUND');
        }
      }
    },
  );
});
