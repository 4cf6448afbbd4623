import ExcelJS from 'exceljs';
import { bearer, createUser, loginAsSuperAdmin, Session } from '../harness/auth.js';
import { daysFromToday } from '../harness/branches-fixtures.js';
import {
  insertAppointment,
  insertMember,
  positionId,
  structureId,
  TestMember,
} from '../harness/leadership-fixtures.js';
import { WARDS } from '../harness/members.js';
import { startTestContext, TestContext } from '../harness/test-app.js';

/**
 * Meetings of the command structures (CCT, War Council, PCT, RCT, SRCT, BCT): who may schedule which, the
 * invitations (the structure's office bearers on the meeting date), attendance limited to them, the quorum
 * ⌊office bearers ÷ 2⌋ + 1 at the boundary, officers from the office bearers, and the four-eyes verification.
 */
const WARD = WARDS.own; // 74201001: GT421, DC42, GP
const D = daysFromToday(-10);

describe('branches: structure meetings (e2e)', () => {
  let t: TestContext;
  let admin: Session;
  let national: Session;
  let gp: Session;
  let gp2: Session;
  let lp: Session;
  let wardAdmin: Session;
  const structures = {} as Record<'cct' | 'war_council' | 'pct' | 'rct' | 'srct' | 'bct', string>;
  /** Office bearers of the GP PCT on D. */
  const bearers: TestMember[] = [];
  let endedBefore: TestMember;
  let startedAfter: TestMember;
  let nonBearer: TestMember;
  let pctMeeting: string;

  const http = () => t.app.http();
  const pool = () => t.db.pool;

  async function counts(): Promise<{ meetings: number; attendance: number }> {
    const { rows } = await pool().query<{ meetings: number; attendance: number }>(
      `SELECT (SELECT count(*) FROM branch_meetings)::int AS meetings,
              (SELECT count(*) FROM branch_meeting_attendance)::int AS attendance`,
    );
    return rows[0]!;
  }

  beforeAll(async () => {
    t = await startTestContext({ AUTH_THROTTLE_LIMIT: '1000' });
    admin = await loginAsSuperAdmin(t.app);
    national = await createUser(t.app, admin, 'national_admin', 'national', null);
    gp = await createUser(t.app, admin, 'provincial_admin', 'province', 'GP');
    gp2 = await createUser(t.app, admin, 'provincial_admin', 'province', 'GP');
    lp = await createUser(t.app, admin, 'provincial_admin', 'province', 'LP');
    wardAdmin = await createUser(t.app, admin, 'ward_admin', 'ward', WARD);
    structures.cct = await structureId(pool(), 'cct', 'ZA');
    structures.war_council = await structureId(pool(), 'war_council', 'ZA');
    structures.pct = await structureId(pool(), 'pct', 'GP');
    structures.rct = await structureId(pool(), 'rct', 'DC42');
    structures.srct = await structureId(pool(), 'srct', 'GT421');
    structures.bct = await structureId(pool(), 'bct', WARD);

    // Four office bearers of the GP PCT on D (one of them lives in another GP ward).
    for (const [code, ward] of [
      ['chairperson', WARD],
      ['deputy_chairperson', WARD],
      ['secretary', WARDS.siblingDistrict],
      ['treasurer', WARD],
    ] as const) {
      const m = await insertMember(pool(), ward);
      await insertAppointment(pool(), {
        structureId: structures.pct,
        positionId: await positionId(pool(), 'pct', code),
        memberId: m.id,
      });
      bearers.push(m);
    }
    // Held office until before D, and took office after D: neither is invited.
    endedBefore = await insertMember(pool(), WARD);
    await insertAppointment(pool(), {
      structureId: structures.pct,
      positionId: await positionId(pool(), 'pct', 'organiser'),
      memberId: endedBefore.id,
      endsOn: daysFromToday(-20),
    });
    startedAfter = await insertMember(pool(), WARD);
    await insertAppointment(pool(), {
      structureId: structures.pct,
      positionId: await positionId(pool(), 'pct', 'youth_leader'),
      memberId: startedAfter.id,
      startsOn: daysFromToday(-5),
    });
    nonBearer = await insertMember(pool(), WARD);
  }, 180_000);
  afterAll(() => t?.close());

  function schedule(session: Session, kind: keyof typeof structures) {
    return http()
      .post('/api/v1/meetings')
      .set(...bearer(session))
      .send({ type: 'structure', structureId: structures[kind], scheduledOn: D, place: 'Office' });
  }

  it('schedules a meeting of each of the six structures, each only by an admin whose area holds it', async () => {
    for (const kind of Object.keys(structures) as (keyof typeof structures)[]) {
      const res = await schedule(national, kind);
      expect([kind, res.status]).toEqual([kind, 201]);
      expect(res.body).toMatchObject({
        type: 'structure',
        structureId: structures[kind],
        structureKind: kind,
        wardCode: kind === 'bct' ? WARD : null,
        provinceCode: kind === 'cct' || kind === 'war_council' ? null : 'GP',
      });
    }
    const byArea: [Session, keyof typeof structures, number][] = [
      [wardAdmin, 'bct', 201],
      [wardAdmin, 'srct', 403],
      [wardAdmin, 'pct', 403],
      [wardAdmin, 'cct', 403],
      [gp, 'rct', 201],
      [gp, 'war_council', 403],
      [gp, 'cct', 403],
      [lp, 'pct', 403],
    ];
    for (const [session, kind, status] of byArea) {
      const res = await schedule(session, kind);
      expect([kind, res.status]).toEqual([kind, status]);
    }
  });

  it('refuses a structure meeting with a ward, without a structure, or of an unknown structure; nothing written', async () => {
    const before = await counts();
    const withWard = await http()
      .post('/api/v1/meetings')
      .set(...bearer(national))
      .send({
        type: 'structure',
        structureId: structures.bct,
        wardCode: WARD,
        scheduledOn: D,
        place: 'Office',
      });
    expect(withWard.status).toBe(400);
    const none = await http()
      .post('/api/v1/meetings')
      .set(...bearer(national))
      .send({ type: 'structure', scheduledOn: D, place: 'Office' });
    expect(none.status).toBe(400);
    const wardWithStructure = await http()
      .post('/api/v1/meetings')
      .set(...bearer(national))
      .send({
        type: 'bga',
        wardCode: WARD,
        structureId: structures.bct,
        scheduledOn: D,
        place: 'X1',
      });
    expect(wardWithStructure.status).toBe(400);
    const unknown = await http()
      .post('/api/v1/meetings')
      .set(...bearer(national))
      .send({
        type: 'structure',
        structureId: '00000000-0000-4000-8000-000000000000',
        scheduledOn: D,
        place: 'Office',
      });
    expect(unknown.status).toBe(404);
    expect(await counts()).toEqual(before);
  });

  it('invites the office bearers on the meeting date; the quorum is ⌊4 ÷ 2⌋ + 1 = 3', async () => {
    const res = await schedule(gp, 'pct');
    expect(res.status).toBe(201);
    pctMeeting = (res.body as { id: string }).id;
    const invitations = await http()
      .get(`/api/v1/meetings/${pctMeeting}/invitations`)
      .set(...bearer(gp));
    expect(invitations.status).toBe(200);
    expect((invitations.body as { memberId: string }[]).map((i) => i.memberId).sort()).toEqual(
      bearers.map((b) => b.id).sort(),
    );
    const meeting = await http()
      .get(`/api/v1/meetings/${pctMeeting}`)
      .set(...bearer(gp));
    expect(meeting.body.figures).toEqual({
      invited: 4,
      inGoodStanding: 4,
      quorum: 3,
      attendees: 0,
      attendeesInGoodStanding: 0,
      quorumMet: false,
      frozen: false,
    });
    // A ward admin does not see the province's structure meeting, nor does another province.
    for (const s of [wardAdmin, lp]) {
      const hidden = await http()
        .get(`/api/v1/meetings/${pctMeeting}`)
        .set(...bearer(s));
      expect(hidden.status).toBe(404);
    }
  });

  it('only office bearers on the date attend; not quorate at exactly half (2 of 4), quorate at 3', async () => {
    await http()
      .post(`/api/v1/meetings/${pctMeeting}/status`)
      .set(...bearer(gp))
      .send({ status: 'held' })
      .expect(200);
    const before = await counts();
    const refused = await http()
      .post(`/api/v1/meetings/${pctMeeting}/attendance`)
      .set(...bearer(gp))
      .send({
        membershipNumbers: [
          bearers[0]!.membershipNumber,
          nonBearer.membershipNumber,
          endedBefore.membershipNumber,
          startedAfter.membershipNumber,
        ],
      });
    expect(refused.status).toBe(422);
    expect(refused.body.rejected).toEqual([
      { membershipNumber: nonBearer.membershipNumber, reason: 'not_invited' },
      { membershipNumber: endedBefore.membershipNumber, reason: 'not_invited' },
      { membershipNumber: startedAfter.membershipNumber, reason: 'not_invited' },
    ]);
    expect(await counts()).toEqual(before);

    const two = await http()
      .post(`/api/v1/meetings/${pctMeeting}/attendance`)
      .set(...bearer(gp))
      .send({ membershipNumbers: [bearers[0]!.membershipNumber, bearers[2]!.membershipNumber] });
    expect(two.status).toBe(200);
    expect(two.body.figures).toMatchObject({ attendees: 2, quorum: 3, quorumMet: false });
    const three = await http()
      .post(`/api/v1/meetings/${pctMeeting}/attendance`)
      .set(...bearer(gp))
      .send({ membershipNumbers: [bearers[1]!.membershipNumber] });
    expect(three.status).toBe(200);
    expect(three.body.figures).toMatchObject({
      attendees: 3,
      attendeesInGoodStanding: 3,
      quorum: 3,
      quorumMet: true,
    });
  });

  it('prints the register of the structure meeting as XLSX: the office bearers, who was present', async () => {
    const res = await http()
      .get(`/api/v1/meetings/${pctMeeting}/register?format=xlsx`)
      .set(...bearer(gp))
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
    expect(res.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.body as never);
    const rows: string[][] = [];
    wb.worksheets[0]!.eachRow((row) =>
      rows.push((row.values as unknown[]).slice(1).map((v) => (typeof v === 'string' ? v : ''))),
    );
    expect(rows[0]).toContain('Signature');
    expect(
      rows
        .slice(1)
        .map((r) => r[0])
        .sort(),
    ).toEqual(bearers.map((b) => b.membershipNumber).sort());
    const present = rows[0]!.indexOf('Present');
    expect(rows.slice(1).filter((r) => r[present] === 'yes')).toHaveLength(3);
  });

  it('takes the presiding officer and secretary only from the office bearers', async () => {
    const m = await http()
      .get(`/api/v1/meetings/${pctMeeting}`)
      .set(...bearer(gp));
    const version = (m.body as { version: number }).version;
    const wrong = await http()
      .patch(`/api/v1/meetings/${pctMeeting}`)
      .set(...bearer(gp))
      .send({ version, secretaryMemberId: nonBearer.id });
    expect(wrong.status).toBe(400);
    const ok = await http()
      .patch(`/api/v1/meetings/${pctMeeting}`)
      .set(...bearer(gp))
      .send({ version, presidingMemberId: bearers[0]!.id, secretaryMemberId: bearers[2]!.id });
    expect(ok.status).toBe(200);
  });

  it('four eyes: recorded by the province, verified neither by it nor by a peer, but by a national admin', async () => {
    for (const s of [gp, gp2, wardAdmin, lp]) {
      const res = await http()
        .post(`/api/v1/meetings/${pctMeeting}/verify`)
        .set(...bearer(s));
      expect(res.status).toBe(403);
    }
    const ok = await http()
      .post(`/api/v1/meetings/${pctMeeting}/verify`)
      .set(...bearer(national));
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ locked: true });
    expect(ok.body.figures).toMatchObject({ quorum: 3, quorumMet: true, frozen: true });
    // Ending an office bearer's term now changes nothing of the verified meeting.
    await pool().query(`UPDATE leadership_appointments SET ends_on = $2 WHERE member_id = $1`, [
      bearers[3]!.id,
      daysFromToday(-11),
    ]);
    const after = await http()
      .get(`/api/v1/meetings/${pctMeeting}`)
      .set(...bearer(gp));
    expect(after.body.figures).toMatchObject({ invited: 4, quorum: 3, quorumMet: true });
  });

  it('a CCT meeting recorded by a national admin is verified by another national admin only', async () => {
    const res = await schedule(national, 'cct');
    const id = (res.body as { id: string }).id;
    await http()
      .post(`/api/v1/meetings/${id}/status`)
      .set(...bearer(national))
      .send({ status: 'held' })
      .expect(200);
    const self = await http()
      .post(`/api/v1/meetings/${id}/verify`)
      .set(...bearer(national));
    expect(self.status).toBe(403);
    const gpTries = await http()
      .post(`/api/v1/meetings/${id}/verify`)
      .set(...bearer(gp));
    expect(gpTries.status).toBe(403);
    const other = await http()
      .post(`/api/v1/meetings/${id}/verify`)
      .set(...bearer(admin));
    expect(other.status).toBe(200);
  });
});
