import ExcelJS from 'exceljs';
import type { Response } from 'supertest';
import { bearer, createUser, loginAsSuperAdmin, Session } from '../harness/auth.js';
import {
  BranchMember,
  daysFromToday,
  insertBranchMember,
  transferNow,
} from '../harness/branches-fixtures.js';
import { WARDS } from '../harness/members.js';
import { readPdf } from '../harness/pdf.js';
import { startTestContext, TestContext } from '../harness/test-app.js';

/**
 * Meetings, quorum on the meeting date, attendance, four-eyes verification, the ward audit's five criteria,
 * delegates under their limit, and the XLSX register, through the real app and database.
 */
const WARD = WARDS.own; // 74201001: GT421, DC42, GP
const SIBLING = WARDS.siblingWard;
const D = daysFromToday(-10); // the meeting date

describe('branches: meetings, quorum, verification, audit, delegates (e2e)', () => {
  let t: TestContext;
  let admin: Session;
  let wardAdmin: Session;
  let wardAdmin2: Session;
  let subregional: Session;
  let otherProvince: Session;
  let auditor: Session;
  /** The members who count (Active on D), the Grace one, and those who do not belong on D. */
  const counting: BranchMember[] = [];
  let grace: BranchMember;
  let renewedAfter: BranchMember;
  let joinedAfter: BranchMember;
  let movedIn: BranchMember;
  let outsider: BranchMember;
  let meetingId: string;

  const http = () => t.app.http();
  const pool = () => t.db.pool;

  beforeAll(async () => {
    t = await startTestContext({ GOOD_STANDING_MIN_ACTIVE: '8', AUTH_THROTTLE_LIMIT: '1000' });
    admin = await loginAsSuperAdmin(t.app);
    wardAdmin = await createUser(t.app, admin, 'ward_admin', 'ward', WARD);
    wardAdmin2 = await createUser(t.app, admin, 'ward_admin', 'ward', WARD);
    subregional = await createUser(t.app, admin, 'subregional_admin', 'municipality', 'GT421');
    otherProvince = await createUser(t.app, admin, 'provincial_admin', 'province', 'LP');
    auditor = await createUser(t.app, admin, 'auditor', 'province', 'GP');

    // 7 plain Active members.
    for (let i = 0; i < 7; i += 1) counting.push(await insertBranchMember(pool(), WARD));
    // Active on D, Grace Period today (expired 5 days before today... after D): counts.
    counting.push(
      await insertBranchMember(pool(), WARD, {
        status: 'grace_period',
        expiresOn: daysFromToday(-5),
      }),
    );
    // Suspended today, but the suspension came after D: Active on D, counts.
    const suspendedLater = await insertBranchMember(pool(), WARD, { status: 'suspended' });
    await pool().query(
      `INSERT INTO member_history (member_id, kind, from_status, to_status, reason)
       VALUES ($1, 'status_changed', 'active', 'suspended', 'after the meeting')`,
      [suspendedLater.id],
    );
    counting.push(suspendedLater);
    // Was a member of WARD on D, moved to the sibling ward since: counts for WARD on D.
    const movedOut = await insertBranchMember(pool(), WARD);
    await transferNow(pool(), movedOut.id, SIBLING);
    counting.push(movedOut);
    // 10 in good standing on D → quorum 6.

    // Grace Period on D (expired 15 days before today, 5 before D): invited, does not count.
    grace = await insertBranchMember(pool(), WARD, {
      status: 'grace_period',
      expiresOn: daysFromToday(-15),
    });
    // Expired on D, renewed since (renewal paid 2 days ago, previous expiry 200 days before D).
    renewedAfter = await insertBranchMember(pool(), WARD, { expiresOn: daysFromToday(700) });
    await pool().query(
      `INSERT INTO member_renewals (member_id, paid_on, amount_cents, reference, previous_expires_on, expires_on)
       VALUES ($1, $2, 1000, $3, $4, $5)`,
      [
        renewedAfter.id,
        daysFromToday(-2),
        `r-${renewedAfter.id}`,
        daysFromToday(-210),
        daysFromToday(700),
      ],
    );
    // Joined after D.
    joinedAfter = await insertBranchMember(pool(), WARD, { joinedOn: daysFromToday(-1) });
    // Moved into WARD after D (from the sibling ward).
    movedIn = await insertBranchMember(pool(), SIBLING);
    await transferNow(pool(), movedIn.id, WARD);
    // A member of another ward.
    outsider = await insertBranchMember(pool(), SIBLING);
  }, 180_000);
  afterAll(() => t?.close());

  async function counts(): Promise<Record<string, number>> {
    const { rows } = await pool().query<Record<string, number>>(
      `SELECT (SELECT count(*) FROM branch_meeting_attendance)::int AS attendance,
              (SELECT count(*) FROM branch_delegates)::int AS delegates,
              (SELECT count(*) FROM ward_audit_records)::int AS records`,
    );
    return rows[0] ?? {};
  }

  async function audit(session: Session, ward: string = WARD): Promise<Record<string, string>> {
    const res = await http()
      .get(`/api/v1/wards/${ward}/audit`)
      .set(...bearer(session));
    expect(res.status).toBe(200);
    const body = res.body as { criteria: { key: string; state: string }[] };
    return Object.fromEntries(body.criteria.map((c) => [c.key, c.state]));
  }

  it('schedules a BGA inside the area only (403 outside, 400 on bad input)', async () => {
    const bad = await http()
      .post('/api/v1/meetings')
      .set(...bearer(wardAdmin))
      .send({ type: 'bga', scheduledOn: D, place: 'Hall' });
    expect(bad.status).toBe(400);
    const outside = await http()
      .post('/api/v1/meetings')
      .set(...bearer(wardAdmin))
      .send({ type: 'bga', wardCode: SIBLING, scheduledOn: D, place: 'Hall' });
    expect(outside.status).toBe(403);
    const res = await http()
      .post('/api/v1/meetings')
      .set(...bearer(wardAdmin))
      .send({
        type: 'bga',
        wardCode: WARD,
        scheduledOn: D,
        place: 'Sebokeng hall',
        agenda: '1. Opening',
      });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'scheduled', wardCode: WARD, provinceCode: 'GP' });
    meetingId = (res.body as { id: string }).id;
    const foreign = await http()
      .get(`/api/v1/meetings/${meetingId}`)
      .set(...bearer(otherProvince));
    expect(foreign.status).toBe(404);
  });

  it('before any meeting is held, criteria 2-5 fail and criterion 1 passes with its figures', async () => {
    expect(await audit(wardAdmin)).toEqual({
      active_members: 'passed',
      bga_quorate: 'failed',
      bga_verified: 'failed',
      officers_recorded: 'failed',
      delegates_selected: 'failed',
    });
    // The sibling ward has 3 Active members (< 8): criterion 1 fails there.
    const sibling = await http()
      .get(`/api/v1/wards/${SIBLING}/audit`)
      .set(...bearer(subregional));
    expect(sibling.body.criteria[0]).toMatchObject({
      key: 'active_members',
      state: 'failed',
      figures: { minimum: 8, votingDistricts: 'not_evaluated' },
    });
  });

  it('invites Active and Grace members of the ward on the meeting date, and derives the quorum from it', async () => {
    const res = await http()
      .get(`/api/v1/meetings/${meetingId}/invitations`)
      .set(...bearer(wardAdmin));
    expect(res.status).toBe(200);
    const invited = (res.body as { memberId: string; statusOnDate: string }[]).map(
      (i) => i.memberId,
    );
    expect(invited.sort()).toEqual([...counting.map((m) => m.id), grace.id].sort());
    for (const absent of [renewedAfter, joinedAfter, movedIn, outsider])
      expect(invited).not.toContain(absent.id);
    const meeting = await http()
      .get(`/api/v1/meetings/${meetingId}`)
      .set(...bearer(wardAdmin));
    expect(meeting.body.figures).toEqual({
      invited: 11,
      inGoodStanding: 10,
      quorum: 6,
      attendees: 0,
      attendeesInGoodStanding: 0,
      quorumMet: false,
      frozen: false,
    });
  });

  it('refuses bulk attendance with any bad number, naming each reason, and writes nothing', async () => {
    await http()
      .post(`/api/v1/meetings/${meetingId}/status`)
      .set(...bearer(wardAdmin))
      .send({ status: 'held' })
      .expect(200);
    const before = await counts();
    const res = await http()
      .post(`/api/v1/meetings/${meetingId}/attendance`)
      .set(...bearer(wardAdmin))
      .send({
        membershipNumbers: [
          counting[0]!.membershipNumber,
          'EFF9999999',
          outsider.membershipNumber,
          counting[0]!.membershipNumber,
          renewedAfter.membershipNumber,
        ],
      });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('ATTENDANCE_REJECTED');
    expect(res.body.rejected).toEqual([
      { membershipNumber: 'EFF9999999', reason: 'unknown' },
      { membershipNumber: outsider.membershipNumber, reason: 'other_ward' },
      { membershipNumber: counting[0]!.membershipNumber, reason: 'duplicate' },
      { membershipNumber: renewedAfter.membershipNumber, reason: 'not_invited' },
    ]);
    expect(await counts()).toEqual(before);
  });

  it('is not quorate at exactly half (5 of 10) and quorate at half + 1 (6); Grace attendees do not count', async () => {
    const five = await http()
      .post(`/api/v1/meetings/${meetingId}/attendance`)
      .set(...bearer(wardAdmin))
      .send({
        membershipNumbers: [
          ...counting.slice(0, 5).map((m) => m.membershipNumber),
          grace.membershipNumber,
        ],
      });
    expect(five.status).toBe(200);
    expect(five.body.figures).toMatchObject({
      attendees: 6,
      attendeesInGoodStanding: 5,
      quorum: 6,
      quorumMet: false,
    });
    expect(await audit(wardAdmin)).toMatchObject({ bga_quorate: 'failed' });

    const again = await http()
      .post(`/api/v1/meetings/${meetingId}/attendance`)
      .set(...bearer(wardAdmin))
      .send({ membershipNumbers: [counting[0]!.membershipNumber] });
    expect(again.status).toBe(422);
    expect(again.body.rejected).toEqual([
      { membershipNumber: counting[0]!.membershipNumber, reason: 'already_recorded' },
    ]);

    // One by one: the sixth in good standing, who was suspended only after the meeting.
    const six = await http()
      .post(`/api/v1/meetings/${meetingId}/attendance`)
      .set(...bearer(wardAdmin))
      .send({ membershipNumbers: [counting[8]!.membershipNumber] });
    expect(six.status).toBe(200);
    expect(six.body.figures).toMatchObject({
      attendeesInGoodStanding: 6,
      quorum: 6,
      quorumMet: true,
    });
    expect(await audit(wardAdmin)).toMatchObject({ bga_quorate: 'passed', bga_verified: 'failed' });
  });

  it('records the presiding officer and secretary only from the invitees', async () => {
    const m = await http()
      .get(`/api/v1/meetings/${meetingId}`)
      .set(...bearer(wardAdmin));
    const version = (m.body as { version: number }).version;
    const wrong = await http()
      .patch(`/api/v1/meetings/${meetingId}`)
      .set(...bearer(wardAdmin))
      .send({ version, presidingMemberId: outsider.id });
    expect(wrong.status).toBe(400);
    const ok = await http()
      .patch(`/api/v1/meetings/${meetingId}`)
      .set(...bearer(wardAdmin))
      .send({
        version,
        presidingMemberId: counting[0]!.id,
        secretaryMemberId: counting[1]!.id,
        minutes: 'Opened at 10:00.\nBranch report adopted.',
        outcome: 'Successful',
      });
    expect(ok.status).toBe(200);
    expect(await audit(wardAdmin)).toMatchObject({ officers_recorded: 'passed' });
  });

  it('selecting a delegate from an unverified meeting is refused (422), nothing written', async () => {
    const before = await counts();
    const res = await http()
      .post(`/api/v1/wards/${WARD}/delegates`)
      .set(...bearer(wardAdmin))
      .send({ assembly: 'srpa', memberId: counting[0]!.id, meetingId });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('MEETING_NOT_ELIGIBLE');
    expect(await counts()).toEqual(before);
  });

  it('four eyes: neither the recorder nor a peer verifies; a higher-level admin does, and the meeting locks', async () => {
    const self = await http()
      .post(`/api/v1/meetings/${meetingId}/verify`)
      .set(...bearer(wardAdmin));
    expect(self.status).toBe(403);
    const peer = await http()
      .post(`/api/v1/meetings/${meetingId}/verify`)
      .set(...bearer(wardAdmin2));
    expect(peer.status).toBe(403);
    const foreign = await http()
      .post(`/api/v1/meetings/${meetingId}/verify`)
      .set(...bearer(otherProvince));
    expect(foreign.status).toBe(403);
    const reader = await http()
      .post(`/api/v1/meetings/${meetingId}/verify`)
      .set(...bearer(auditor));
    expect(reader.status).toBe(403);
    const ok = await http()
      .post(`/api/v1/meetings/${meetingId}/verify`)
      .set(...bearer(subregional));
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ locked: true });
    expect(ok.body.figures).toMatchObject({ quorumMet: true, frozen: true, quorum: 6 });

    const version = (ok.body as { version: number }).version;
    const before = await counts();
    const changes: Response[] = [
      await http()
        .patch(`/api/v1/meetings/${meetingId}`)
        .set(...bearer(wardAdmin))
        .send({ version, place: 'Elsewhere' }),
      await http()
        .post(`/api/v1/meetings/${meetingId}/attendance`)
        .set(...bearer(wardAdmin))
        .send({ membershipNumbers: [counting[6]!.membershipNumber] }),
      await http()
        .post(`/api/v1/meetings/${meetingId}/status`)
        .set(...bearer(wardAdmin))
        .send({ status: 'cancelled' }),
      await http()
        .post(`/api/v1/meetings/${meetingId}/verify`)
        .set(...bearer(subregional)),
    ];
    expect(changes.map((r) => [r.status, (r.body as { code: string }).code])).toEqual(
      Array(4).fill([409, 'MEETING_LOCKED']),
    );
    expect(await counts()).toEqual(before);
    expect(await audit(wardAdmin)).toMatchObject({
      bga_verified: 'passed',
      delegates_selected: 'failed',
    });
  });

  it('concurrent delegate selections at the limit (3 for the SRPA) never exceed it', async () => {
    const candidates = counting.slice(0, 7).filter((m) => m !== counting[7]);
    const results = await Promise.all(
      candidates.map((m) =>
        http()
          .post(`/api/v1/wards/${WARD}/delegates`)
          .set(...bearer(wardAdmin))
          .send({ assembly: 'srpa', memberId: m.id, meetingId }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(3);
    expect(statuses.filter((s) => s === 409)).toHaveLength(candidates.length - 3);
    for (const r of results.filter((x) => x.status === 409))
      expect(r.body.code).toBe('DELEGATE_LIMIT_REACHED');
    const { rows } = await pool().query<{ n: number }>(
      "SELECT count(*)::int AS n FROM branch_delegates WHERE ward_code = $1 AND assembly = 'srpa' AND active",
      [WARD],
    );
    expect(rows[0]?.n).toBe(3);
    expect(await audit(wardAdmin)).toMatchObject({ delegates_selected: 'passed' });
  });

  it('a raised limit for the municipality allows one more; a replacement keeps the history', async () => {
    const low = await http()
      .put('/api/v1/delegate-limits')
      .set(...bearer(wardAdmin))
      .send({ level: 'municipality', code: 'GT421', assembly: 'srpa', maxPerWard: 4 });
    expect(low.status).toBe(403);
    const set = await http()
      .put('/api/v1/delegate-limits')
      .set(...bearer(subregional))
      .send({ level: 'municipality', code: 'GT421', assembly: 'srpa', maxPerWard: 4 });
    expect(set.status).toBe(200);
    const listed = await http()
      .get('/api/v1/delegates?assembly=srpa')
      .set(...bearer(wardAdmin));
    const chosen = new Set((listed.body.data as { memberId: string }[]).map((d) => d.memberId));
    const free = counting.slice(0, 7).filter((m) => !chosen.has(m.id));
    const fourth = await http()
      .post(`/api/v1/wards/${WARD}/delegates`)
      .set(...bearer(wardAdmin))
      .send({ assembly: 'srpa', memberId: free[0]!.id, meetingId });
    expect(fourth.status).toBe(201);
    const fifth = await http()
      .post(`/api/v1/wards/${WARD}/delegates`)
      .set(...bearer(wardAdmin))
      .send({ assembly: 'srpa', memberId: free[1]!.id, meetingId });
    expect(fifth.status).toBe(409);

    const old = (listed.body.data as { id: string; memberId: string }[])[0]!;
    const replaced = await http()
      .post(`/api/v1/delegates/${old.id}/replacement`)
      .set(...bearer(wardAdmin))
      .send({ memberId: free[1]!.id, meetingId, reason: 'Moved away' });
    expect(replaced.status).toBe(201);
    expect(replaced.body).toMatchObject({
      replacesId: old.id,
      replacementReason: 'Moved away',
      active: true,
    });
    const history = await http()
      .get('/api/v1/delegates?history=true&level=ward&code=' + WARD)
      .set(...bearer(subregional));
    const before = (
      history.body.data as { id: string; active: boolean; replacedById: string | null }[]
    ).find((d) => d.id === old.id);
    expect(before).toMatchObject({ active: false, replacedById: replaced.body.id });
    const again = await http()
      .post(`/api/v1/delegates/${old.id}/replacement`)
      .set(...bearer(wardAdmin))
      .send({ memberId: free[2]!.id, meetingId, reason: 'Twice' });
    expect(again.status).toBe(409);
  });

  it('approval: not by the ward admin; a compliant ward by the sub-region; a failing ward only as an exception with a reason', async () => {
    expect(await audit(auditor)).toEqual({
      active_members: 'passed',
      bga_quorate: 'passed',
      bga_verified: 'passed',
      officers_recorded: 'passed',
      delegates_selected: 'passed',
    });
    const byWard = await http()
      .post(`/api/v1/wards/${WARD}/audit/approvals`)
      .set(...bearer(wardAdmin))
      .send({});
    expect(byWard.status).toBe(403);
    const ok = await http()
      .post(`/api/v1/wards/${WARD}/audit/approvals`)
      .set(...bearer(subregional))
      .send({});
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ kind: 'approval', compliant: true, exception: false });

    const before = await counts();
    const refused = await http()
      .post(`/api/v1/wards/${SIBLING}/audit/approvals`)
      .set(...bearer(subregional))
      .send({});
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('WARD_NOT_COMPLIANT');
    const noReason = await http()
      .post(`/api/v1/wards/${SIBLING}/audit/approvals`)
      .set(...bearer(subregional))
      .send({ exception: true });
    expect(noReason.status).toBe(400);
    expect(await counts()).toEqual(before);
    const exception = await http()
      .post(`/api/v1/wards/${SIBLING}/audit/approvals`)
      .set(...bearer(subregional))
      .send({ exception: true, reason: 'New branch, launched after the cycle' });
    expect(exception.status).toBe(201);
    expect(exception.body).toMatchObject({ compliant: false, exception: true });

    const records = await http()
      .get(`/api/v1/wards/${SIBLING}/audit/records`)
      .set(...bearer(auditor));
    expect(records.body).toHaveLength(1);
    const { rows } = await pool().query<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_events WHERE action = 'branches.ward_approved'",
    );
    expect(rows[0]?.n).toBe(2);

    const area = await http()
      .get('/api/v1/ward-audits?level=municipality&code=GT421&approved=true')
      .set(...bearer(subregional));
    expect(area.status).toBe(200);
    expect((area.body.data as { wardCode: string }[]).map((w) => w.wardCode)).toEqual([
      WARD,
      SIBLING,
    ]);
    const compliant = await http()
      .get('/api/v1/ward-audits?level=municipality&code=GT421&compliant=true&limit=100')
      .set(...bearer(subregional));
    expect((compliant.body.data as { wardCode: string }[]).map((w) => w.wardCode)).toEqual([WARD]);
  });

  it('downloads the register as XLSX: every invitee, who was present, a signature column', async () => {
    const res = await http()
      .get(`/api/v1/meetings/${meetingId}/register?format=xlsx`)
      .set(...bearer(auditor))
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
    expect(res.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.body as never);
    const sheet = wb.worksheets[0]!;
    const rows: string[][] = [];
    sheet.eachRow((row) =>
      rows.push(
        (row.values as unknown[])
          .slice(1)
          .map((v) =>
            v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v),
          ),
      ),
    );
    expect(rows[0]).toEqual([
      'Membership number',
      'Surname',
      'First names',
      'Status on meeting date',
      'Present',
      'Signature',
    ]);
    expect(rows).toHaveLength(12);
    const numbers = rows.slice(1).map((r) => r[0]);
    expect(numbers.sort()).toEqual([...counting, grace].map((m) => m.membershipNumber).sort());
    expect(rows.slice(1).filter((r) => r[4] === 'yes')).toHaveLength(7);
  });

  it('exports the area audit as CSV', async () => {
    const res = await http()
      .get('/api/v1/ward-audits/export?level=municipality&code=GT421&format=csv')
      .set(...bearer(subregional));
    expect(res.status).toBe(200);
    const lines = res.text
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\n');
    expect(lines[0]).toContain('Ward');
    expect(lines.find((l) => l.startsWith(WARD))).toContain('yes');
  });

  function binary(path: string, session: Session) {
    return http()
      .get(path)
      .set(...bearer(session))
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
  }

  it('prints the register as a PDF: names, membership numbers and a signature column, read back', async () => {
    const res = await binary(`/api/v1/meetings/${meetingId}/register?format=pdf`, wardAdmin);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('application/pdf');
    const { pages } = await readPdf(res.body as Buffer);
    const all = pages.join('\n');
    expect(all).toContain('Attendance register');
    expect(all).toContain(`BGA of ward ${WARD} on ${D}`);
    expect(all).toContain('Signature');
    for (const m of [...counting, grace]) expect(all).toContain(m.membershipNumber);
    for (const m of [renewedAfter, joinedAfter, movedIn, outsider])
      expect(all).not.toContain(m.membershipNumber);
    const outside = await http()
      .get(`/api/v1/meetings/${meetingId}/register?format=pdf`)
      .set(...bearer(otherProvince));
    expect(outside.status).toBe(404);
  });

  it('prints the ward audit report and the area report as PDFs, read back', async () => {
    const ward = await binary(`/api/v1/wards/${WARD}/audit/report`, auditor);
    expect(ward.status).toBe(200);
    const one = (await readPdf(ward.body as Buffer)).pages.join('\n');
    expect(one).toContain('Ward audit report');
    expect(one).toContain(`Ward ${WARD}`);
    expect(one).toContain('quorumMet: true');
    expect(one).toContain('passed');
    const area = await binary(
      '/api/v1/ward-audits/export?level=municipality&code=GT421&format=pdf',
      subregional,
    );
    expect(area.status).toBe(200);
    const text = (await readPdf(area.body as Buffer)).pages.join('\n');
    expect(text).toContain(WARD);
    expect(text).toContain(SIBLING);
    const hidden = await http()
      .get(`/api/v1/wards/${WARD}/audit/report`)
      .set(...bearer(otherProvince));
    expect(hidden.status).toBe(404);
  });

  // --- audit (#21): the cases the tests above leave out ---

  function rowsOfSheet(sheet: ExcelJS.Worksheet): string[][] {
    const rows: string[][] = [];
    sheet.eachRow((row) =>
      rows.push(
        (row.values as unknown[])
          .slice(1)
          .map((v) =>
            v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v),
          ),
      ),
    );
    return rows;
  }

  it('status: held not before the date; postponed, then cancelled; nothing after that; only a held meeting is verified', async () => {
    const res = await http()
      .post('/api/v1/meetings')
      .set(...bearer(wardAdmin))
      .send({ type: 'bpa', wardCode: WARD, scheduledOn: daysFromToday(5), place: 'Hall' });
    expect(res.status).toBe(201);
    const id = (res.body as { id: string }).id;
    const status = (s: string) =>
      http()
        .post(`/api/v1/meetings/${id}/status`)
        .set(...bearer(wardAdmin))
        .send({ status: s, reason: 'Audit' });
    const early = await status('held');
    expect([early.status, early.body.code]).toEqual([409, 'INVALID_STATUS_TRANSITION']);
    const unheld = await http()
      .post(`/api/v1/meetings/${id}/verify`)
      .set(...bearer(subregional));
    expect([unheld.status, unheld.body.code]).toEqual([422, 'MEETING_NOT_ELIGIBLE']);
    expect((await status('postponed')).status).toBe(200);
    expect((await status('cancelled')).status).toBe(200);
    for (const next of ['held', 'postponed', 'scheduled']) {
      const refused = await status(next);
      expect([next, refused.status]).toEqual([next, next === 'scheduled' ? 400 : 409]);
    }
    const attend = await http()
      .post(`/api/v1/meetings/${id}/attendance`)
      .set(...bearer(wardAdmin))
      .send({ membershipNumbers: [counting[0]!.membershipNumber] });
    expect([attend.status, attend.body.code]).toEqual([422, 'MEETING_NOT_ELIGIBLE']);
    const { rows } = await pool().query<{ status: string; n: number }>(
      `SELECT m.status, (SELECT count(*)::int FROM branch_meeting_attendance a WHERE a.meeting_id = m.id) AS n
         FROM branch_meetings m WHERE m.id = $1`,
      [id],
    );
    expect(rows[0]).toEqual({ status: 'cancelled', n: 0 });
  });

  it('a verified but inquorate BGA (exactly half): criterion 2 fails while 3 passes, and selects no delegate', async () => {
    const provincial = await createUser(t.app, admin, 'provincial_admin', 'province', 'GP');
    // On D the sibling ward had two members in good standing: the outsider and the one who moved to WARD since.
    const res = await http()
      .post('/api/v1/meetings')
      .set(...bearer(subregional))
      .send({ type: 'bga', wardCode: SIBLING, scheduledOn: D, place: 'Hall' });
    const id = (res.body as { id: string }).id;
    await http()
      .post(`/api/v1/meetings/${id}/status`)
      .set(...bearer(subregional))
      .send({ status: 'held' })
      .expect(200);
    const one = await http()
      .post(`/api/v1/meetings/${id}/attendance`)
      .set(...bearer(subregional))
      .send({ membershipNumbers: [outsider.membershipNumber] });
    expect(one.body.figures).toMatchObject({
      inGoodStanding: 2,
      quorum: 2,
      attendeesInGoodStanding: 1,
      quorumMet: false,
    });
    // The sub-region recorded it: a peer of the sub-region may not verify, the province may.
    const peer = await createUser(t.app, admin, 'subregional_admin', 'municipality', 'GT421');
    expect(
      (
        await http()
          .post(`/api/v1/meetings/${id}/verify`)
          .set(...bearer(peer))
      ).status,
    ).toBe(403);
    const verified = await http()
      .post(`/api/v1/meetings/${id}/verify`)
      .set(...bearer(provincial));
    expect(verified.status).toBe(200);
    expect(verified.body.figures).toMatchObject({ quorumMet: false, frozen: true });
    expect(await audit(subregional, SIBLING)).toMatchObject({
      bga_quorate: 'failed',
      bga_verified: 'passed',
    });
    // Frozen: two members recorded later as having joined before D change neither the meeting nor criterion 2
    // (live, the quorum would be ⌊4 ÷ 2⌋ + 1 = 3).
    for (let i = 0; i < 2; i += 1)
      await insertBranchMember(pool(), SIBLING, { joinedOn: daysFromToday(-400) });
    const frozen = await http()
      .get(`/api/v1/meetings/${id}`)
      .set(...bearer(subregional));
    expect(frozen.body.figures).toMatchObject({ inGoodStanding: 2, quorum: 2, frozen: true });
    const criterion = await http()
      .get(`/api/v1/wards/${SIBLING}/audit`)
      .set(...bearer(subregional));
    expect(criterion.body.criteria[1].figures).toMatchObject({ inGoodStanding: 2, quorum: 2 });
    const before = await counts();
    const refused = await http()
      .post(`/api/v1/wards/${SIBLING}/delegates`)
      .set(...bearer(subregional))
      .send({ assembly: 'srpa', memberId: outsider.id, meetingId: id });
    expect([refused.status, refused.body.code]).toEqual([422, 'MEETING_NOT_ELIGIBLE']);
    expect(refused.body.detail).toContain('not quorate');
    // A BGA of another ward does not qualify either.
    const otherWard = await http()
      .post(`/api/v1/wards/${SIBLING}/delegates`)
      .set(...bearer(subregional))
      .send({ assembly: 'srpa', memberId: outsider.id, meetingId });
    expect([otherWard.status, otherWard.body.code]).toEqual([422, 'MEETING_NOT_ELIGIBLE']);
    expect(await counts()).toEqual(before);
  });

  it('delegates: only Active members of the ward; PPA defaults to 1; the most specific limit wins; limits only inside your area', async () => {
    const before = await counts();
    for (const [member, code] of [
      [grace, 'MEMBER_INELIGIBLE'],
      [counting[8]!, 'MEMBER_INELIGIBLE'], // Active on D, suspended since
      [outsider, 'MEMBER_INELIGIBLE'],
    ] as const) {
      const res = await http()
        .post(`/api/v1/wards/${WARD}/delegates`)
        .set(...bearer(wardAdmin))
        .send({ assembly: 'ppa', memberId: member.id, meetingId });
      expect([res.status, res.body.code]).toEqual([422, code]);
    }
    const unknown = await http()
      .post(`/api/v1/wards/${WARD}/delegates`)
      .set(...bearer(wardAdmin))
      .send({ assembly: 'ppa', memberId: '00000000-0000-4000-8000-000000000000', meetingId });
    expect(unknown.status).toBe(404);
    expect(await counts()).toEqual(before);

    const ppa = await http()
      .post(`/api/v1/wards/${WARD}/delegates`)
      .set(...bearer(wardAdmin))
      .send({ assembly: 'ppa', memberId: counting[0]!.id, meetingId });
    expect(ppa.status).toBe(201);
    const second = await http()
      .post(`/api/v1/wards/${WARD}/delegates`)
      .set(...bearer(wardAdmin))
      .send({ assembly: 'ppa', memberId: counting[1]!.id, meetingId });
    expect([second.status, second.body.code, second.body.limit]).toEqual([
      409,
      'DELEGATE_LIMIT_REACHED',
      1,
    ]);

    // The municipality allows 4 SRPA delegates; a ward limit of 2 and a province limit of 10: the ward's wins.
    const limit = (session: Session, body: Record<string, unknown>) =>
      http()
        .put('/api/v1/delegate-limits')
        .set(...bearer(session))
        .send(body);
    expect(
      (await limit(subregional, { level: 'ward', code: WARD, assembly: 'srpa', maxPerWard: 2 }))
        .status,
    ).toBe(200);
    expect(
      (await limit(admin, { level: 'province', code: 'GP', assembly: 'srpa', maxPerWard: 10 }))
        .status,
    ).toBe(200);
    const capped = await http()
      .post(`/api/v1/wards/${WARD}/delegates`)
      .set(...bearer(wardAdmin))
      .send({ assembly: 'srpa', memberId: counting[6]!.id, meetingId });
    expect([capped.status, capped.body.limit]).toEqual([409, 2]);

    // Outside the caller's area (sibling, parent), unknown areas and bad figures are refused.
    const limitsBefore = await pool().query(
      'SELECT * FROM delegate_limits ORDER BY area_level, area_code, assembly',
    );
    const refusals: [Session, Record<string, unknown>, number][] = [
      [wardAdmin, { level: 'ward', code: WARD, assembly: 'srpa', maxPerWard: 9 }, 403],
      [wardAdmin, { level: 'ward', code: SIBLING, assembly: 'srpa', maxPerWard: 9 }, 403],
      [subregional, { level: 'district', code: 'DC42', assembly: 'srpa', maxPerWard: 9 }, 403],
      [subregional, { level: 'national', assembly: 'srpa', maxPerWard: 9 }, 403],
      [otherProvince, { level: 'province', code: 'GP', assembly: 'srpa', maxPerWard: 9 }, 403],
      [subregional, { level: 'ward', code: '99999999', assembly: 'srpa', maxPerWard: 9 }, 400],
      [subregional, { level: 'ward', assembly: 'srpa', maxPerWard: 9 }, 400],
      [subregional, { level: 'ward', code: WARD, assembly: 'srpa', maxPerWard: -1 }, 400],
      [subregional, { level: 'ward', code: WARD, assembly: 'srpa', maxPerWard: 101 }, 400],
      [subregional, { level: 'ward', code: WARD, assembly: 'xyz', maxPerWard: 1 }, 400],
      [auditor, { level: 'ward', code: WARD, assembly: 'srpa', maxPerWard: 9 }, 403],
    ];
    for (const [session, body, status] of refusals) {
      const res = await limit(session, body);
      expect([body, res.status]).toEqual([body, status]);
    }
    const limitsAfter = await pool().query(
      'SELECT * FROM delegate_limits ORDER BY area_level, area_code, assembly',
    );
    expect(limitsAfter.rows).toEqual(limitsBefore.rows);
  });

  it('the area view pages by ward code (filters kept) and exports as XLSX, read back', async () => {
    const first = await http()
      .get('/api/v1/ward-audits?level=municipality&code=GT421&limit=1')
      .set(...bearer(subregional));
    expect(first.status).toBe(200);
    expect((first.body.data as { wardCode: string }[]).map((w) => w.wardCode)).toEqual([WARD]);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await http()
      .get(
        `/api/v1/ward-audits?level=municipality&code=GT421&limit=1&cursor=${first.body.nextCursor as string}`,
      )
      .set(...bearer(subregional));
    expect((second.body.data as { wardCode: string }[]).map((w) => w.wardCode)).toEqual([SIBLING]);
    // approved=false leaves out both approved wards.
    const unapproved = await http()
      .get('/api/v1/ward-audits?level=municipality&code=GT421&approved=false&limit=100')
      .set(...bearer(subregional));
    const codes = (unapproved.body.data as { wardCode: string }[]).map((w) => w.wardCode);
    expect(codes.length).toBeGreaterThan(0);
    expect(codes).not.toContain(WARD);
    expect(codes).not.toContain(SIBLING);
    // Another province's area is empty for a sub-regional admin, never another area's data.
    const foreign = await http()
      .get('/api/v1/ward-audits?level=province&code=LP&limit=5')
      .set(...bearer(subregional));
    expect([foreign.status, foreign.body.data]).toEqual([200, []]);
    const bad = await http()
      .get('/api/v1/ward-audits?level=municipality')
      .set(...bearer(subregional));
    expect(bad.status).toBe(400);

    const xlsx = await binary(
      '/api/v1/ward-audits/export?level=municipality&code=GT421&format=xlsx',
      subregional,
    );
    expect(xlsx.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.body as never);
    const rows = rowsOfSheet(wb.worksheets[0]!);
    expect(rows[0]?.slice(0, 4)).toEqual(['Ward', 'Municipality', 'District', 'Province']);
    const own = rows.find((r) => r[0] === WARD);
    expect(own?.slice(5, 11)).toEqual(['passed', 'passed', 'passed', 'passed', 'passed', 'yes']);
    const sibling = rows.find((r) => r[0] === SIBLING);
    expect(sibling?.[5]).toBe('failed');
    expect(sibling?.[12]).toBe('yes'); // approved as an exception
  });

  it('lists and exports the delegates per sub-region for credentialing (CSV and XLSX), read back', async () => {
    const { rows: active } = await pool().query<{ membership_number: string; assembly: string }>(
      `SELECT membership_number, assembly FROM branch_delegates WHERE municipality_code = 'GT421' AND active
        ORDER BY membership_number`,
    );
    expect(active.length).toBe(5); // 4 SRPA, 1 PPA
    const csv = await http()
      .get('/api/v1/delegates/export?level=municipality&code=GT421&format=csv')
      .set(...bearer(subregional));
    expect(csv.status).toBe(200);
    const lines = csv.text
      .replace(/^\uFEFF/, '')
      .trim()
      .split(/\r?\n/);
    expect(lines[0]).toContain('Membership number');
    expect(lines).toHaveLength(active.length + 1);
    for (const d of active) expect(csv.text).toContain(d.membership_number);
    const { rows: ended } = await pool().query<{ membership_number: string }>(
      'SELECT membership_number FROM branch_delegates WHERE NOT active',
    );
    expect(ended).toHaveLength(1);
    // The replaced SRPA delegate is no longer on the SRPA list (the same member may be the PPA delegate).
    expect(csv.text).not.toContain(`SRPA,${ended[0]!.membership_number}`);

    const xlsx = await binary(
      '/api/v1/delegates/export?level=municipality&code=GT421&format=xlsx&assembly=srpa',
      subregional,
    );
    expect(xlsx.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.body as never);
    const rows = rowsOfSheet(wb.worksheets[0]!);
    expect(rows[0]).toEqual([
      'Province',
      'Region',
      'Sub-region',
      'Ward',
      'Assembly',
      'Membership number',
      'Surname',
      'First names',
      'Selected at',
    ]);
    expect(
      rows
        .slice(1)
        .map((r) => r[5])
        .sort(),
    ).toEqual(
      active
        .filter((d) => d.assembly === 'srpa')
        .map((d) => d.membership_number)
        .sort(),
    );
    expect(new Set(rows.slice(1).map((r) => r[4]))).toEqual(new Set(['SRPA']));
    // Another province's admin gets an empty list, never GP's delegates.
    const foreign = await http()
      .get('/api/v1/delegates/export?level=municipality&code=GT421&format=csv')
      .set(...bearer(otherProvince));
    expect(foreign.status).toBe(200);
    for (const d of active) expect(foreign.text).not.toContain(d.membership_number);
  });
});
