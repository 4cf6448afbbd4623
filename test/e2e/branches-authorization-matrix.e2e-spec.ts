import { bearer, Session } from '../harness/auth.js';
import { daysFromToday, insertBranchMember, BranchMember } from '../harness/branches-fixtures.js';
import {
  FORBIDDEN,
  Matrix,
  MATRIX_USERS,
  PerTarget,
  Place,
  startMatrix,
  MATRIX_ROLES,
} from '../harness/matrix.js';
import { WARDS } from '../harness/members.js';
import type { TestContext } from '../harness/test-app.js';

/**
 * Every branches route x every role x a target in the caller's own area, a sibling area and the parent's wider
 * area (the shared frame of test/harness/matrix.ts). Reads outside scope answer 404, writes 403; roles without
 * the permission get 403 before any lookup. Allowed delegate selections answer 422 (the meeting is not
 * verified), allowed retries of a completed attendance import 409: access was granted, the domain rule refused.
 * Attendance register uploads are dry runs (nothing is written behind the next call's back).
 */
const ROLES = MATRIX_ROLES;
type Role = (typeof ROLES)[number];

const ROUTES = [
  'getMeeting',
  'invitations',
  'attendanceList',
  'register',
  'createMeeting',
  'updateMeeting',
  'status',
  'attend',
  'verify',
  'wardAudit',
  'auditRecords',
  'auditReport',
  'evaluate',
  'approve',
  'selectDelegate',
  'replaceDelegate',
  'importAttendance',
  'attendanceImport',
  'attendanceImportReport',
  'retryAttendanceImport',
] as const;
type Route = (typeof ROUTES)[number];
type Expected = Record<Route, PerTarget> & Record<'lists' | 'limits', number[]>;

const R: PerTarget = [200, 404, 404];
const W: PerTarget = [200, 403, 403];
const C: PerTarget = [201, 403, 403];
const ALL = (s: number): PerTarget => [s, s, s];
const NO = FORBIDDEN;

const AREA_ADMIN: Expected = {
  getMeeting: R,
  invitations: R,
  attendanceList: R,
  register: R,
  createMeeting: C,
  updateMeeting: W,
  status: W,
  attend: W,
  verify: W,
  wardAudit: R,
  auditRecords: R,
  auditReport: R,
  evaluate: C,
  approve: C,
  selectDelegate: [422, 403, 403],
  replaceDelegate: [422, 403, 403],
  importAttendance: [202, 403, 403],
  attendanceImport: R,
  attendanceImportReport: R,
  retryAttendanceImport: [409, 403, 403],
  lists: [200, 200, 200, 200, 200],
  limits: [200],
};
const NATIONAL: Expected = {
  getMeeting: ALL(200),
  invitations: ALL(200),
  attendanceList: ALL(200),
  register: ALL(200),
  createMeeting: ALL(201),
  updateMeeting: ALL(200),
  status: ALL(200),
  attend: ALL(200),
  verify: ALL(200),
  wardAudit: ALL(200),
  auditRecords: ALL(200),
  auditReport: ALL(200),
  evaluate: ALL(201),
  approve: ALL(201),
  selectDelegate: ALL(422),
  replaceDelegate: ALL(422),
  importAttendance: ALL(202),
  attendanceImport: ALL(200),
  attendanceImportReport: ALL(200),
  retryAttendanceImport: ALL(409),
  lists: [200, 200, 200, 200, 200],
  limits: [200],
};
const EXPECTED: Record<Role, Expected> = {
  super_admin: NATIONAL,
  national_admin: NATIONAL,
  provincial_admin: AREA_ADMIN,
  regional_admin: AREA_ADMIN,
  subregional_admin: AREA_ADMIN,
  // a ward admin verifies nothing recorded at ward level, approves no ward and sets no delegate limit (only an
  // admin above it)
  ward_admin: { ...AREA_ADMIN, verify: NO, approve: NO, limits: [403] },
  auditor: {
    getMeeting: R,
    invitations: R,
    attendanceList: R,
    register: R,
    createMeeting: NO,
    updateMeeting: NO,
    status: NO,
    attend: NO,
    verify: NO,
    wardAudit: R,
    auditRecords: R,
    auditReport: R,
    evaluate: NO,
    approve: NO,
    selectDelegate: NO,
    replaceDelegate: NO,
    importAttendance: NO,
    attendanceImport: R,
    attendanceImportReport: R,
    retryAttendanceImport: NO,
    lists: [200, 200, 200, 200, 200],
    limits: [403],
  },
  member: {
    ...(Object.fromEntries(ROUTES.map((r) => [r, NO])) as Record<Route, PerTarget>),
    lists: [403, 403, 403, 403, 403],
    limits: [403],
  },
};

const MEETING_DATE = daysFromToday(-5);

describe('branches: authorisation matrix (e2e)', () => {
  let m: Matrix<Role>;
  let t: TestContext;
  let admin: Session;
  const meetings = {} as Record<Place, string>;
  const members = {} as Record<Place, BranchMember>;
  const delegates = {} as Record<Place, string>;
  /** A completed attendance import of each place's meeting, uploaded (as it were) by that ward. */
  const imports = {} as Record<Place, string>;

  const http = () => t.app.http();
  const pool = () => t.db.pool;

  beforeAll(async () => {
    m = await startMatrix(ROLES);
    t = m.t;
    admin = m.admin;
    for (const place of Object.keys(WARDS) as Place[]) {
      members[place] = await insertBranchMember(pool(), WARDS[place]);
      const res = await http()
        .post('/api/v1/meetings')
        .set(...bearer(admin))
        .send({ type: 'bga', wardCode: WARDS[place], scheduledOn: MEETING_DATE, place: 'Hall' });
      meetings[place] = (res.body as { id: string }).id;
      const { rows } = await pool().query<{ id: string }>(
        `INSERT INTO branch_delegates (assembly, member_id, membership_number, meeting_id, ward_code,
                                       municipality_code, district_code, province_code)
         SELECT 'srpa', m.id, m.membership_number, $2, m.ward_code, m.municipality_code, m.district_code,
                m.province_code FROM members m WHERE m.id = $1 RETURNING id`,
        [members[place].id, meetings[place]],
      );
      delegates[place] = rows[0]!.id;
      const job = await pool().query<{ id: string }>(
        `INSERT INTO import_jobs (kind, parameters, status, mode, dry_run, file_name, format, file_sha256,
                                  file_size, scope_key, province_code, district_code, municipality_code,
                                  ward_code, uploaded_by, finished_at)
         SELECT 'attendance', jsonb_build_object('meetingId', $2::text), 'completed', 'create', false,
                'register.csv', 'csv', repeat('0', 64), 1, 'ward:' || w.code, w.province_code,
                w.district_code, w.municipality_code, w.code, $3, now()
           FROM wards w WHERE w.code = $1 RETURNING id`,
        [WARDS[place], meetings[place], admin.userId],
      );
      imports[place] = job.rows[0]!.id;
    }
  }, 180_000);
  afterAll(() => t?.close());

  /** Puts a target meeting back: held (recorded at ward level by nobody here), unverified, no attendance. */
  async function reset(place: Place): Promise<void> {
    await pool().query('DELETE FROM branch_meeting_attendance WHERE meeting_id = $1', [
      meetings[place],
    ]);
    await pool().query(
      `UPDATE branch_meetings SET status = 'held', held_recorded_level = 'ward', held_recorded_by = NULL,
              verified_at = NULL, verified_by = NULL, verified_figures = NULL WHERE id = $1`,
      [meetings[place]],
    );
  }

  async function version(place: Place): Promise<number> {
    const { rows } = await pool().query<{ version: number }>(
      'SELECT version FROM branch_meetings WHERE id = $1',
      [meetings[place]],
    );
    return rows[0]?.version ?? 0;
  }

  it.each(ROLES)('%s', async (role) => {
    const b = bearer(m.sessions[role]);
    const calls: Record<Route, (p: Place) => Promise<number>> = {
      getMeeting: async (p) =>
        (
          await http()
            .get(`/api/v1/meetings/${meetings[p]}`)
            .set(...b)
        ).status,
      invitations: async (p) =>
        (
          await http()
            .get(`/api/v1/meetings/${meetings[p]}/invitations`)
            .set(...b)
        ).status,
      attendanceList: async (p) =>
        (
          await http()
            .get(`/api/v1/meetings/${meetings[p]}/attendance`)
            .set(...b)
        ).status,
      register: async (p) =>
        (
          await http()
            .get(`/api/v1/meetings/${meetings[p]}/register?format=csv`)
            .set(...b)
        ).status,
      createMeeting: async (p) =>
        (
          await http()
            .post('/api/v1/meetings')
            .set(...b)
            .send({ type: 'bpa', wardCode: WARDS[p], scheduledOn: MEETING_DATE, place: 'Hall' })
        ).status,
      updateMeeting: async (p) =>
        (
          await http()
            .patch(`/api/v1/meetings/${meetings[p]}`)
            .set(...b)
            .send({ version: await version(p), place: `By ${role}` })
        ).status,
      status: async (p) => {
        await pool().query("UPDATE branch_meetings SET status = 'scheduled' WHERE id = $1", [
          meetings[p],
        ]);
        return (
          await http()
            .post(`/api/v1/meetings/${meetings[p]}/status`)
            .set(...b)
            .send({ status: 'held' })
        ).status;
      },
      attend: async (p) =>
        (
          await http()
            .post(`/api/v1/meetings/${meetings[p]}/attendance`)
            .set(...b)
            .send({ membershipNumbers: [members[p].membershipNumber] })
        ).status,
      verify: async (p) =>
        (
          await http()
            .post(`/api/v1/meetings/${meetings[p]}/verify`)
            .set(...b)
        ).status,
      wardAudit: async (p) =>
        (
          await http()
            .get(`/api/v1/wards/${WARDS[p]}/audit`)
            .set(...b)
        ).status,
      auditRecords: async (p) =>
        (
          await http()
            .get(`/api/v1/wards/${WARDS[p]}/audit/records`)
            .set(...b)
        ).status,
      auditReport: async (p) =>
        (
          await http()
            .get(`/api/v1/wards/${WARDS[p]}/audit/report`)
            .set(...b)
        ).status,
      evaluate: async (p) =>
        (
          await http()
            .post(`/api/v1/wards/${WARDS[p]}/audit/evaluations`)
            .set(...b)
        ).status,
      approve: async (p) =>
        (
          await http()
            .post(`/api/v1/wards/${WARDS[p]}/audit/approvals`)
            .set(...b)
            .send({ exception: true, reason: `Matrix ${role}` })
        ).status,
      selectDelegate: async (p) =>
        (
          await http()
            .post(`/api/v1/wards/${WARDS[p]}/delegates`)
            .set(...b)
            .send({ assembly: 'ppa', memberId: members[p].id, meetingId: meetings[p] })
        ).status,
      replaceDelegate: async (p) =>
        (
          await http()
            .post(`/api/v1/delegates/${delegates[p]}/replacement`)
            .set(...b)
            .send({ memberId: members[p].id, meetingId: meetings[p], reason: 'Matrix' })
        ).status,
      importAttendance: async (p) =>
        (
          await http()
            .post(`/api/v1/meetings/${meetings[p]}/attendance/imports`)
            .set(...b)
            .field('dryRun', 'true')
            .attach(
              'file',
              Buffer.from(`Membership Number\n${members[p].membershipNumber}\n`),
              'register.csv',
            )
        ).status,
      attendanceImport: async (p) =>
        (
          await http()
            .get(`/api/v1/meetings/${meetings[p]}/attendance/imports/${imports[p]}`)
            .set(...b)
        ).status,
      attendanceImportReport: async (p) =>
        (
          await http()
            .get(`/api/v1/meetings/${meetings[p]}/attendance/imports/${imports[p]}/report`)
            .set(...b)
        ).status,
      retryAttendanceImport: async (p) =>
        (
          await http()
            .post(`/api/v1/meetings/${meetings[p]}/attendance/imports/${imports[p]}/retry`)
            .set(...b)
        ).status,
    };
    const actual = {} as Expected;
    for (const route of ROUTES) {
      actual[route] = await m.perTarget(role, async (p) => {
        await reset(p);
        const status = await calls[route](p);
        await reset(p);
        return status;
      });
    }
    actual.lists = [
      (
        await http()
          .get('/api/v1/meetings')
          .set(...b)
      ).status,
      (
        await http()
          .get('/api/v1/ward-audits')
          .set(...b)
      ).status,
      (
        await http()
          .get('/api/v1/ward-audits/export?format=csv&level=municipality&code=GT421')
          .set(...b)
      ).status,
      (
        await http()
          .get('/api/v1/delegates')
          .set(...b)
      ).status,
      (
        await http()
          .get('/api/v1/delegates/export?format=csv')
          .set(...b)
      ).status,
    ];
    actual.limits = [
      (
        await http()
          .put('/api/v1/delegate-limits')
          .set(...b)
          .send({ level: 'ward', code: WARDS.own, assembly: 'npa', maxPerWard: 2 })
      ).status,
    ];
    expect(actual).toEqual(EXPECTED[role]);
  });

  it.each([
    'provincial_admin',
    'regional_admin',
    'subregional_admin',
    'ward_admin',
    'auditor',
  ] as const)('%s lists exactly the meetings and delegates of its own area', async (role) => {
    const u = MATRIX_USERS[role];
    const column = {
      province: 'province_code',
      district: 'district_code',
      municipality: 'municipality_code',
      ward: 'ward_code',
    }[u.level];
    for (const [table, path] of [
      ['branch_meetings', '/api/v1/meetings?limit=100'],
      ['branch_delegates', '/api/v1/delegates?limit=100&history=true'],
    ] as const) {
      const { rows } = await pool().query<{ id: string }>(
        `SELECT id FROM ${table} WHERE ${column} = $1`,
        [u.code],
      );
      const res = await http()
        .get(path)
        .set(...bearer(m.sessions[role]));
      const ids = (res.body.data as { id: string }[]).map((x) => x.id).sort();
      expect(ids).toEqual(rows.map((r) => r.id).sort());
      expect(ids.length).toBeGreaterThan(0);
    }
  });
});
