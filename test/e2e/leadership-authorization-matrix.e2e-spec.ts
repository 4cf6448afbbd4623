import { bearer } from '../harness/auth.js';
import {
  countAppointments,
  insertAppointment,
  insertMember,
  positionId,
  structureId,
} from '../harness/leadership-fixtures.js';
import { Matrix, MATRIX_ROLES, MATRIX_USERS, startMatrix } from '../harness/matrix.js';

/**
 * Every leadership route × every role × a structure (and a member) in the caller's own area, a sibling area and
 * the parent area, against an explicit table of expected answers. Reads outside scope are 404 (lists simply
 * leave the rows out), writes outside scope 403, roles without the permission 403. The users are those of
 * test/harness/matrix.ts; the targets are leadership structures, one row per role and relation (national roles
 * have no parent).
 */

type Relation = 'own' | 'sibling' | 'parent';
type Role = (typeof MATRIX_ROLES)[number];

interface Target {
  kind: string;
  code: string;
  /** Ward of the member appointed, ended and looked up. */
  ward: string;
  /** Position to appoint to (default additional_member). */
  appoint?: string;
  /** Position of the arranged appointment to end (default additional_member). */
  end?: string;
}

const PROVINCE_TARGETS: Record<Relation, Target> = {
  own: { kind: 'pct', code: 'GP', ward: '74201001' },
  sibling: { kind: 'pct', code: 'KZN', ward: '52102001' },
  parent: { kind: 'cct', code: 'ZA', ward: '10101001' },
};
const WARD_TARGETS: Record<Relation, Target> = {
  own: { kind: 'bct', code: '74201001', ward: '74201001' },
  sibling: { kind: 'bct', code: '74201002', ward: '74201002' },
  parent: { kind: 'srct', code: 'GT421', ward: '74201003' },
};

const TARGETS: Record<Role, Partial<Record<Relation, Target>>> = {
  super_admin: {
    own: { kind: 'cct', code: 'ZA', ward: '74201001' },
    sibling: {
      kind: 'war_council',
      code: 'ZA',
      ward: '74201001',
      appoint: 'deployee_gp',
      end: 'president',
    },
  },
  national_admin: {
    own: { kind: 'cct', code: 'ZA', ward: '52102001' },
    sibling: {
      kind: 'war_council',
      code: 'ZA',
      ward: '52102001',
      appoint: 'deployee_kzn',
      end: 'deputy_president',
    },
  },
  provincial_admin: PROVINCE_TARGETS,
  regional_admin: {
    own: { kind: 'rct', code: 'DC42', ward: '74201001' },
    sibling: { kind: 'rct', code: 'JHB', ward: '79800001' },
    parent: { kind: 'pct', code: 'GP', ward: '79900001' },
  },
  subregional_admin: {
    own: { kind: 'srct', code: 'GT421', ward: '74201001' },
    sibling: { kind: 'srct', code: 'GT422', ward: '74202001' },
    parent: { kind: 'rct', code: 'DC42', ward: '74203001' },
  },
  ward_admin: WARD_TARGETS,
  auditor: PROVINCE_TARGETS,
  member: WARD_TARGETS,
};

/** List answers: 200 with the structure in it (SEEN), 200 without it (HIDDEN), or a status. */
const SEEN = 'seen';
const HIDDEN = 'hidden';
type ListOutcome = typeof SEEN | typeof HIDDEN | 403;

type Row = [
  role: Role,
  relation: Relation,
  listStructures: ListOutcome,
  getStructure: number,
  history: number,
  vacancies: ListOutcome,
  appoint: number,
  end: number,
  memberPositions: number,
];

// prettier-ignore
const MATRIX: Row[] = [
  //  role                 relation   list    get  history vacancies appoint end  positions
  ['super_admin',        'own',     SEEN,   200, 200,    SEEN,     201,    200, 200],
  ['super_admin',        'sibling', SEEN,   200, 200,    SEEN,     201,    200, 200],
  ['national_admin',     'own',     SEEN,   200, 200,    SEEN,     201,    200, 200],
  ['national_admin',     'sibling', SEEN,   200, 200,    SEEN,     201,    200, 200],
  ['provincial_admin',   'own',     SEEN,   200, 200,    SEEN,     201,    200, 200],
  ['provincial_admin',   'sibling', HIDDEN, 404, 404,    HIDDEN,   403,    403, 404],
  ['provincial_admin',   'parent',  HIDDEN, 404, 404,    HIDDEN,   403,    403, 404],
  ['regional_admin',     'own',     SEEN,   200, 200,    SEEN,     201,    200, 200],
  ['regional_admin',     'sibling', HIDDEN, 404, 404,    HIDDEN,   403,    403, 404],
  ['regional_admin',     'parent',  HIDDEN, 404, 404,    HIDDEN,   403,    403, 404],
  ['subregional_admin',  'own',     SEEN,   200, 200,    SEEN,     201,    200, 200],
  ['subregional_admin',  'sibling', HIDDEN, 404, 404,    HIDDEN,   403,    403, 404],
  ['subregional_admin',  'parent',  HIDDEN, 404, 404,    HIDDEN,   403,    403, 404],
  ['ward_admin',         'own',     SEEN,   200, 200,    SEEN,     201,    200, 200],
  ['ward_admin',         'sibling', HIDDEN, 404, 404,    HIDDEN,   403,    403, 404],
  ['ward_admin',         'parent',  HIDDEN, 404, 404,    HIDDEN,   403,    403, 404],
  ['auditor',            'own',     SEEN,   200, 200,    SEEN,     403,    403, 200],
  ['auditor',            'sibling', HIDDEN, 404, 404,    HIDDEN,   403,    403, 404],
  ['auditor',            'parent',  HIDDEN, 404, 404,    HIDDEN,   403,    403, 404],
  ['member',             'own',     403,    403, 403,    403,      403,    403, 403],
  ['member',             'sibling', 403,    403, 403,    403,      403,    403, 403],
  ['member',             'parent',  403,    403, 403,    403,      403,    403, 403],
];

describe('leadership authorisation matrix (e2e)', () => {
  let m: Matrix<Role>;

  beforeAll(async () => {
    m = await startMatrix(MATRIX_ROLES);
  }, 120_000);
  afterAll(() => m?.t.close());

  it('covers every role at own, sibling and (below national) parent scope', () => {
    for (const role of MATRIX_ROLES) {
      const relations = MATRIX.filter((r) => r[0] === role).map((r) => r[1]);
      expect(relations).toEqual(
        MATRIX_USERS[role].level === 'national' ? ['own', 'sibling'] : ['own', 'sibling', 'parent'],
      );
    }
  });

  it.each(MATRIX)(
    '%s at %s scope: list %s, get %s, history %s, vacancies %s, appoint %s, end %s, member positions %s',
    async (role, relation, list, get, history, vacancies, appoint, end, positions) => {
      const target = TARGETS[role][relation];
      if (!target) throw new Error(`no ${relation} target for ${role}`);
      const pool = m.t.db.pool;
      const structure = await structureId(pool, target.kind, target.code);
      const http = () => m.t.app.http();
      const auth = bearer(m.sessions[role]);

      const listed = await http()
        .get(`/api/v1/leadership/structures?level=${target.kind}&code=${target.code}`)
        .set(...auth);
      if (list === 403) expect(listed.status).toBe(403);
      else {
        expect(listed.status).toBe(200);
        expect(listed.body.data).toHaveLength(list === SEEN ? 1 : 0);
      }

      expect(
        (
          await http()
            .get(`/api/v1/leadership/structures/${structure}`)
            .set(...auth)
        ).status,
      ).toBe(get);
      expect(
        (
          await http()
            .get(`/api/v1/leadership/structures/${structure}/history`)
            .set(...auth)
        ).status,
      ).toBe(history);

      const vacant = await http()
        .get(`/api/v1/leadership/vacancies?level=${target.kind}&code=${target.code}`)
        .set(...auth);
      if (vacancies === 403) expect(vacant.status).toBe(403);
      else {
        expect(vacant.status).toBe(200);
        if (vacancies === SEEN) expect(vacant.body.data.length).toBeGreaterThan(0);
        else expect(vacant.body.data).toEqual([]);
      }

      // appoint a fresh, eligible member
      const candidate = await insertMember(pool, target.ward);
      const before = await countAppointments(pool);
      const appointed = await http()
        .post('/api/v1/leadership/appointments')
        .set(...auth)
        .send({
          structureId: structure,
          positionId: await positionId(pool, target.kind, target.appoint ?? 'additional_member'),
          memberId: candidate.id,
          kind: 'appointed',
        });
      expect(appointed.status).toBe(appoint);
      expect(await countAppointments(pool)).toBe(before + (appoint === 201 ? 1 : 0));

      // end an existing appointment
      const holder = await insertMember(pool, target.ward);
      const existing = await insertAppointment(pool, {
        structureId: structure,
        positionId: await positionId(pool, target.kind, target.end ?? 'additional_member'),
        memberId: holder.id,
      });
      const ended = await http()
        .post(`/api/v1/leadership/appointments/${existing}/end`)
        .set(...auth)
        .send({ reason: 'term_ended' });
      expect(ended.status).toBe(end);
      const row = await pool.query<{ end_reason: string | null }>(
        'SELECT end_reason FROM leadership_appointments WHERE id = $1',
        [existing],
      );
      expect(row.rows[0]?.end_reason).toBe(end === 200 ? 'term_ended' : null);

      // the holder's positions
      const held = await http()
        .get(`/api/v1/members/${holder.id}/positions`)
        .set(...auth);
      expect(held.status).toBe(positions);
      if (positions === 200) expect(held.body).toHaveLength(1);
    },
  );

  it('refuses every leadership route without a token (401)', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    const http = () => m.t.app.http();
    const calls = [
      http().get('/api/v1/leadership/structures'),
      http().get(`/api/v1/leadership/structures/${id}`),
      http().get(`/api/v1/leadership/structures/${id}/history`),
      http().get('/api/v1/leadership/vacancies'),
      http().post('/api/v1/leadership/appointments').send({}),
      http().post(`/api/v1/leadership/appointments/${id}/end`).send({}),
      http().get(`/api/v1/members/${id}/positions`),
    ];
    for (const res of await Promise.all(calls)) expect(res.status).toBe(401);
  });

  it('has no route that deletes history', async () => {
    const pool = m.t.db.pool;
    const member = await insertMember(pool, '74201001');
    const id = await insertAppointment(pool, {
      structureId: await structureId(pool, 'bct', '74201001'),
      positionId: await positionId(pool, 'bct', 'womens_leader'),
      memberId: member.id,
    });
    const res = await m.t.app
      .http()
      .delete(`/api/v1/leadership/appointments/${id}`)
      .set(...bearer(m.admin));
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('ROUTE_NOT_FOUND');
  });
});
