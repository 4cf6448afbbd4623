import { bearer, createUser, loginAsSuperAdmin, Session } from '../harness/auth.js';
import { BranchMember, daysFromToday, insertBranchMember } from '../harness/branches-fixtures.js';
import { WARDS } from '../harness/members.js';
import { startTestContext, TestContext } from '../harness/test-app.js';

/**
 * Bad input to every branches route: each answer is a 4xx problem body (never a 500) and nothing is written
 * (every branches table and the audit log are counted before and after).
 */
const WARD = WARDS.own;
const NO_SUCH = '00000000-0000-4000-8000-000000000000';

describe('branches: bad input (e2e)', () => {
  let t: TestContext;
  let admin: Session;
  let wardAdmin: Session;
  let subregional: Session;
  let member: BranchMember;
  let meetingId: string;
  let delegateId: string;

  const http = () => t.app.http();
  const pool = () => t.db.pool;

  async function counts(): Promise<Record<string, number>> {
    const { rows } = await pool().query<Record<string, number>>(
      `SELECT (SELECT count(*) FROM branch_meetings)::int AS meetings,
              (SELECT max(version) FROM branch_meetings)::int AS versions,
              (SELECT count(*) FROM branch_meeting_attendance)::int AS attendance,
              (SELECT count(*) FROM branch_delegates)::int AS delegates,
              (SELECT count(*) FROM delegate_limits)::int AS limits,
              (SELECT count(*) FROM ward_audit_records)::int AS records,
              (SELECT count(*) FROM audit_events WHERE action LIKE 'branches.%')::int AS audit`,
    );
    return rows[0] ?? {};
  }

  beforeAll(async () => {
    t = await startTestContext({ AUTH_THROTTLE_LIMIT: '1000' });
    admin = await loginAsSuperAdmin(t.app);
    wardAdmin = await createUser(t.app, admin, 'ward_admin', 'ward', WARD);
    subregional = await createUser(t.app, admin, 'subregional_admin', 'municipality', 'GT421');
    member = await insertBranchMember(pool(), WARD);
    const res = await http()
      .post('/api/v1/meetings')
      .set(...bearer(wardAdmin))
      .send({ type: 'bga', wardCode: WARD, scheduledOn: daysFromToday(-3), place: 'Hall' })
      .expect(201);
    meetingId = (res.body as { id: string }).id;
    await http()
      .post(`/api/v1/meetings/${meetingId}/status`)
      .set(...bearer(wardAdmin))
      .send({ status: 'held' })
      .expect(200);
    const { rows } = await pool().query<{ id: string }>(
      `INSERT INTO branch_delegates (assembly, member_id, membership_number, meeting_id, ward_code,
                                     municipality_code, district_code, province_code)
       SELECT 'srpa', m.id, m.membership_number, $2, m.ward_code, m.municipality_code, m.district_code,
              m.province_code FROM members m WHERE m.id = $1 RETURNING id`,
      [member.id, meetingId],
    );
    delegateId = rows[0]!.id;
  }, 180_000);
  afterAll(() => t?.close());

  type Call = [string, 'get' | 'post' | 'patch' | 'put', string, unknown?];

  it('answers every bad request with a 4xx problem and writes nothing', async () => {
    const m = `/api/v1/meetings/${meetingId}`;
    const calls: Call[] = [
      [
        'impossible date',
        'post',
        '/api/v1/meetings',
        { type: 'bga', wardCode: WARD, scheduledOn: '2026-02-30', place: 'Hall' },
      ],
      [
        'month 13',
        'post',
        '/api/v1/meetings',
        { type: 'bga', wardCode: WARD, scheduledOn: '2026-13-01', place: 'Hall' },
      ],
      [
        'unknown ward',
        'post',
        '/api/v1/meetings',
        { type: 'bga', wardCode: '99999999', scheduledOn: '2026-01-01', place: 'Hall' },
      ],
      [
        'bad type',
        'post',
        '/api/v1/meetings',
        { type: 'agm', wardCode: WARD, scheduledOn: '2026-01-01', place: 'Hall' },
      ],
      [
        'blank place',
        'post',
        '/api/v1/meetings',
        { type: 'bga', wardCode: WARD, scheduledOn: '2026-01-01', place: '   ' },
      ],
      ['not a uuid', 'get', '/api/v1/meetings/abc'],
      ['unknown meeting', 'get', `/api/v1/meetings/${NO_SUCH}`],
      ['bad cursor', 'get', '/api/v1/meetings?cursor=%%%'],
      [
        'crafted cursor',
        'get',
        `/api/v1/meetings?cursor=${Buffer.from('["x","y"]').toString('base64url')}`,
      ],
      ['patch impossible date', 'patch', m, { version: 2, scheduledOn: '2026-02-30' }],
      [
        'patch held meeting to a later day',
        'patch',
        m,
        { version: 2, scheduledOn: daysFromToday(2) },
      ],
      ['patch no version', 'patch', m, { place: 'Elsewhere' }],
      ['patch stale version', 'patch', m, { version: 1, place: 'Elsewhere' }],
      ['patch officer not a uuid', 'patch', m, { version: 2, presidingMemberId: 'x' }],
      ['patch unknown officer', 'patch', m, { version: 2, presidingMemberId: NO_SUCH }],
      ['status scheduled', 'post', `${m}/status`, { status: 'scheduled' }],
      ['status again held', 'post', `${m}/status`, { status: 'held' }],
      ['attendance empty', 'post', `${m}/attendance`, { membershipNumbers: [] }],
      ['attendance not strings', 'post', `${m}/attendance`, { membershipNumbers: [1, 2] }],
      ['attendance missing', 'post', `${m}/attendance`, {}],
      ['attendance unknown', 'post', `${m}/attendance`, { membershipNumbers: ['EFF0000000000'] }],
      ['register format', 'get', `${m}/register?format=doc`],
      ['verify own', 'post', `${m}/verify`],
      ['audit bad ward', 'get', '/api/v1/wards/abc/audit'],
      ['audit unknown ward', 'get', '/api/v1/wards/99999999/audit'],
      ['evaluate unknown ward', 'post', '/api/v1/wards/99999999/audit/evaluations'],
      ['approve unknown ward', 'post', '/api/v1/wards/99999999/audit/approvals', {}],
      [
        'approve blank reason',
        'post',
        `/api/v1/wards/${WARD}/audit/approvals`,
        { exception: true, reason: '        ' },
      ],
      [
        'approve exception not boolean',
        'post',
        `/api/v1/wards/${WARD}/audit/approvals`,
        { exception: 'yes', reason: 'A good reason' },
      ],
      ['area level without code', 'get', '/api/v1/ward-audits?level=municipality'],
      ['area bad level', 'get', '/api/v1/ward-audits?level=ward&code=74201001'],
      ['area bad cursor', 'get', '/api/v1/ward-audits?cursor=%%%'],
      ['area export format', 'get', '/api/v1/ward-audits/export?format=doc'],
      [
        'delegate bad ward',
        'post',
        '/api/v1/wards/abc/delegates',
        { assembly: 'srpa', memberId: member.id, meetingId },
      ],
      [
        'delegate unknown ward',
        'post',
        '/api/v1/wards/99999999/delegates',
        { assembly: 'srpa', memberId: member.id, meetingId },
      ],
      [
        'delegate bad assembly',
        'post',
        `/api/v1/wards/${WARD}/delegates`,
        { assembly: 'xyz', memberId: member.id, meetingId },
      ],
      [
        'delegate unknown meeting',
        'post',
        `/api/v1/wards/${WARD}/delegates`,
        { assembly: 'srpa', memberId: member.id, meetingId: NO_SUCH },
      ],
      [
        'delegate unverified meeting',
        'post',
        `/api/v1/wards/${WARD}/delegates`,
        { assembly: 'ppa', memberId: member.id, meetingId },
      ],
      [
        'replace unknown delegate',
        'post',
        `/api/v1/delegates/${NO_SUCH}/replacement`,
        { memberId: member.id, meetingId, reason: 'Moved' },
      ],
      [
        'replace not a uuid',
        'post',
        '/api/v1/delegates/abc/replacement',
        { memberId: member.id, meetingId, reason: 'Moved' },
      ],
      [
        'replace blank reason',
        'post',
        `/api/v1/delegates/${delegateId}/replacement`,
        { memberId: member.id, meetingId, reason: '      ' },
      ],
      [
        'replace unverified meeting',
        'post',
        `/api/v1/delegates/${delegateId}/replacement`,
        { memberId: member.id, meetingId, reason: 'Moved away' },
      ],
      ['delegates level without code', 'get', '/api/v1/delegates?level=ward'],
      [
        'delegates crafted cursor',
        'get',
        `/api/v1/delegates?cursor=${Buffer.from('["x","y"]').toString('base64url')}`,
      ],
      ['delegates export format', 'get', '/api/v1/delegates/export?format=pdf'],
      [
        'limit bad level',
        'put',
        '/api/v1/delegate-limits',
        { level: 'galaxy', code: 'GP', assembly: 'srpa', maxPerWard: 3 },
      ],
      [
        'limit not an integer',
        'put',
        '/api/v1/delegate-limits',
        { level: 'ward', code: WARD, assembly: 'srpa', maxPerWard: 2.5 },
      ],
      [
        'limit unknown area',
        'put',
        '/api/v1/delegate-limits',
        { level: 'district', code: 'XX99', assembly: 'srpa', maxPerWard: 3 },
      ],
    ];
    const before = await counts();
    const answers: [string, number, string | undefined][] = [];
    for (const [name, method, path, body] of calls) {
      let req = http()
        [method](path)
        .set(...bearer(wardAdmin));
      if (body !== undefined) req = req.send(body as object);
      const res = await req;
      answers.push([
        name,
        res.status,
        res.status >= 400 && res.status < 500 && typeof res.body?.code === 'string'
          ? 'problem'
          : JSON.stringify(res.body).slice(0, 200),
      ]);
    }
    expect(
      answers.filter(([, status, body]) => status < 400 || status >= 500 || body !== 'problem'),
    ).toEqual([]);
    expect(await counts()).toEqual(before);
    expect(answers.find(([name]) => name === 'patch held meeting to a later day')?.[1]).toBe(409);
    // Blank reasons are refused by validation (400), before any domain rule.
    expect(
      answers.filter(([name]) => name.includes('blank')).map(([name, status]) => [name, status]),
    ).toEqual([
      ['blank place', 400],
      ['approve blank reason', 400],
      ['replace blank reason', 400],
    ]);
  });

  it('a sub-regional admin: approving with a blank reason or a failing ward without an exception writes nothing', async () => {
    const before = await counts();
    for (const body of [{ exception: true, reason: '        ' }, { exception: true }, {}]) {
      const res = await http()
        .post(`/api/v1/wards/${WARD}/audit/approvals`)
        .set(...bearer(subregional))
        .send(body);
      expect([body, res.status]).toEqual([body, body.exception ? 400 : 422]);
    }
    expect(await counts()).toEqual(before);
  });
});
