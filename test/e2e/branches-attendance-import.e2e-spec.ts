import ExcelJS from 'exceljs';
import { bearer, createUser, loginAsSuperAdmin, Session } from '../harness/auth.js';
import { BranchMember, daysFromToday, insertBranchMember } from '../harness/branches-fixtures.js';
import { WARDS } from '../harness/members.js';
import { startTestContext, TestContext } from '../harness/test-app.js';

/**
 * A meeting's attendance register through the import engine (`attendance` row kind): the rules of
 * POST /meetings/{id}/attendance row by row, the rejected-rows report, scope, and the verified meeting's lock.
 */
const WARD = WARDS.own; // GT421, DC42, GP
const SIBLING = WARDS.siblingWard;
const D = daysFromToday(-10);

interface Job {
  id: string;
  status: string;
  totalRows: number;
  validRows: number;
  insertedRows: number;
  rejectedRows: number;
  duplicateRows: number;
  dryRun: boolean;
  ignoredColumns: string[];
  error: string | null;
}

function csv(rows: string[][]): Buffer {
  return Buffer.from(rows.map((r) => r.join(',')).join('\n'));
}

async function xlsx(rows: ExcelJS.CellValue[][]): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('Register');
  for (const row of rows) sheet.addRow(row);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

describe('branches: attendance register import (e2e)', () => {
  let t: TestContext;
  let admin: Session;
  let wardAdmin: Session;
  let subregional: Session;
  let otherProvince: Session;
  const active: BranchMember[] = [];
  let grace: BranchMember;
  let expired: BranchMember;
  let outsider: BranchMember;
  let meetingId: string;

  const http = () => t.app.http();
  const pool = () => t.db.pool;

  beforeAll(async () => {
    t = await startTestContext({ AUTH_THROTTLE_LIMIT: '1000', IMPORT_BATCH_SIZE: '3' });
    admin = await loginAsSuperAdmin(t.app);
    wardAdmin = await createUser(t.app, admin, 'ward_admin', 'ward', WARD);
    subregional = await createUser(t.app, admin, 'subregional_admin', 'municipality', 'GT421');
    otherProvince = await createUser(t.app, admin, 'provincial_admin', 'province', 'LP');
    for (let i = 0; i < 5; i += 1) active.push(await insertBranchMember(pool(), WARD));
    // Grace Period on D (expired 5 days before it): invited, does not count for the quorum.
    grace = await insertBranchMember(pool(), WARD, {
      status: 'grace_period',
      expiresOn: daysFromToday(-15),
    });
    // Expired long before D: a member of the ward, but not invited.
    expired = await insertBranchMember(pool(), WARD, {
      status: 'expired',
      expiresOn: daysFromToday(-400),
    });
    outsider = await insertBranchMember(pool(), SIBLING);

    const created = await http()
      .post('/api/v1/meetings')
      .set(...bearer(wardAdmin))
      .send({ type: 'bga', wardCode: WARD, scheduledOn: D, place: 'Sebokeng hall' })
      .expect(201);
    meetingId = (created.body as { id: string }).id;
  }, 180_000);
  afterAll(() => t?.close());

  async function upload(
    session: Session,
    file: Buffer,
    name: string,
    fields: Record<string, string> = {},
    meeting = meetingId,
  ): Promise<{ status: number; body: Job & { code?: string } }> {
    let req = http()
      .post(`/api/v1/meetings/${meeting}/attendance/imports`)
      .set(...bearer(session));
    for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
    const res = await req.attach('file', file, name);
    return { status: res.status, body: res.body as Job & { code?: string } };
  }

  async function finished(session: Session, id: string): Promise<Job> {
    for (let i = 0; i < 1000; i += 1) {
      const res = await http()
        .get(`/api/v1/meetings/${meetingId}/attendance/imports/${id}`)
        .set(...bearer(session));
      expect(res.status).toBe(200);
      const job = res.body as Job;
      if (job.status === 'completed' || job.status === 'failed') return job;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('import did not finish');
  }

  async function attendees(): Promise<string[]> {
    const { rows } = await pool().query<{ membership_number: string }>(
      'SELECT membership_number FROM branch_meeting_attendance WHERE meeting_id = $1 ORDER BY 1',
      [meetingId],
    );
    return rows.map((r) => r.membership_number);
  }

  async function jobCount(): Promise<number> {
    const { rows } = await pool().query<{ n: number }>(
      "SELECT count(*)::int AS n FROM import_jobs WHERE kind = 'attendance'",
    );
    return rows[0]?.n ?? 0;
  }

  it('refuses a register for a meeting that is not held yet and a file without a membership number column', async () => {
    // A scheduled meeting in the past may take attendance (as POST …/attendance does): only its header fails.
    const noColumn = await upload(wardAdmin, csv([['Surname'], ['Mokoena']]), 'register.csv');
    expect(noColumn.status).toBe(400);
    const future = await http()
      .post('/api/v1/meetings')
      .set(...bearer(wardAdmin))
      .send({ type: 'bga', wardCode: WARD, scheduledOn: daysFromToday(5), place: 'Hall' })
      .expect(201);
    const tooEarly = await upload(
      wardAdmin,
      csv([['Membership Number'], [active[0]!.membershipNumber]]),
      'register.csv',
      {},
      (future.body as { id: string }).id,
    );
    expect(tooEarly.status).toBe(422);
    expect(tooEarly.body.code).toBe('MEETING_NOT_ELIGIBLE');
    expect(await jobCount()).toBe(0);
  });

  it('records the invitees of a CSV register and reports every other row with its reason', async () => {
    await http()
      .post(`/api/v1/meetings/${meetingId}/status`)
      .set(...bearer(wardAdmin))
      .send({ status: 'held' })
      .expect(200);
    // Recorded one by one before the register comes in.
    await http()
      .post(`/api/v1/meetings/${meetingId}/attendance`)
      .set(...bearer(wardAdmin))
      .send({ membershipNumbers: [active[4]!.membershipNumber] })
      .expect(200);

    const file = csv([
      ['No', 'Membership No', 'Name', 'Signature'],
      ['1', active[0]!.membershipNumber, 'First Person', 'x'],
      ['2', ` ${active[1]!.membershipNumber} `, 'Second Person', 'x'],
      ['3', expired.membershipNumber, 'Expired Person', 'x'],
      ['4', outsider.membershipNumber, 'Sibling Ward', 'x'],
      ['5', 'EFF20249999999', 'Nobody', 'x'],
      ['6', grace.membershipNumber, 'Grace Person', 'x'],
      ['7', active[0]!.membershipNumber, 'First Person again', 'x'],
      ['8', active[4]!.membershipNumber, 'Already recorded', 'x'],
      ['9', active[2]!.membershipNumber, 'Third Person', 'x'],
    ]);
    const res = await upload(wardAdmin, file, 'register.csv');
    expect(res.status).toBe(202);
    expect(res.body.ignoredColumns).toEqual(['No', 'Name', 'Signature']);
    const job = await finished(wardAdmin, res.body.id);
    expect(job).toMatchObject({
      status: 'completed',
      totalRows: 9,
      insertedRows: 4,
      rejectedRows: 5,
      duplicateRows: 2,
      error: null,
    });
    expect(await attendees()).toEqual(
      [active[0]!, active[1]!, active[2]!, active[4]!, grace].map((m) => m.membershipNumber).sort(),
    );

    const report = await http()
      .get(`/api/v1/meetings/${meetingId}/attendance/imports/${res.body.id}/report?format=csv`)
      .set(...bearer(wardAdmin))
      .expect(200);
    const lines = report.text.trim().split(/\r?\n/);
    expect(lines[0]).toBe('Row,Duplicate,Reasons,Membership Number');
    const byRow = new Map(lines.slice(1).map((l) => [l.split(',')[0], l]));
    expect([...byRow.keys()]).toEqual(['4', '5', '6', '8', '9']);
    expect(byRow.get('4')).toContain('not_invited');
    expect(byRow.get('4')).toContain(expired.membershipNumber);
    expect(byRow.get('5')).toContain('other_ward');
    expect(byRow.get('6')).toContain('unknown');
    expect(byRow.get('8')).toMatch(/^8,(yes|true),.*duplicate/i);
    expect(byRow.get('9')).toMatch(/^9,(yes|true),.*already_recorded/i);

    // The figures are computed from what the import recorded: 5 Active on D → quorum 3, 4 of them attended.
    const meeting = await http()
      .get(`/api/v1/meetings/${meetingId}`)
      .set(...bearer(wardAdmin))
      .expect(200);
    expect(meeting.body.figures).toMatchObject({
      inGoodStanding: 5,
      quorum: 3,
      attendees: 5,
      attendeesInGoodStanding: 4,
      quorumMet: true,
    });
  }, 120_000);

  it('checks an XLSX register in a dry run without recording anything', async () => {
    const before = await attendees();
    const res = await upload(
      wardAdmin,
      await xlsx([
        ['Membership Number', 'Surname'],
        [active[3]!.membershipNumber, 'Fourth'],
        [active[0]!.membershipNumber, 'First'],
      ]),
      'register.xlsx',
      { dryRun: 'true' },
    );
    expect(res.status).toBe(202);
    const job = await finished(wardAdmin, res.body.id);
    expect(job).toMatchObject({
      status: 'completed',
      dryRun: true,
      insertedRows: 1,
      rejectedRows: 1,
    });
    expect(await attendees()).toEqual(before);
  }, 120_000);

  it('is scoped like the meeting: another province may neither upload (403) nor see the job (404)', async () => {
    const file = csv([['Membership Number'], [active[3]!.membershipNumber]]);
    const jobs = await jobCount();
    const foreign = await upload(otherProvince, file, 'register.csv');
    expect(foreign.status).toBe(403);
    expect(await jobCount()).toBe(jobs);
    const { rows } = await pool().query<{ id: string }>(
      "SELECT id FROM import_jobs WHERE kind = 'attendance' ORDER BY created_at LIMIT 1",
    );
    const jobId = rows[0]!.id;
    for (const path of [`${jobId}`, `${jobId}/report?format=csv`]) {
      const res = await http()
        .get(`/api/v1/meetings/${meetingId}/attendance/imports/${path}`)
        .set(...bearer(otherProvince));
      expect(res.status).toBe(404);
    }
    // The job belongs to its meeting: asked under another meeting it is 404.
    const other = await http()
      .post('/api/v1/meetings')
      .set(...bearer(wardAdmin))
      .send({ type: 'bpa', wardCode: WARD, scheduledOn: D, place: 'Hall' })
      .expect(201);
    const wrong = await http()
      .get(`/api/v1/meetings/${(other.body as { id: string }).id}/attendance/imports/${jobId}`)
      .set(...bearer(wardAdmin));
    expect(wrong.status).toBe(404);
    // The member imports' routes do not show it either.
    const asMemberImport = await http()
      .get(`/api/v1/members/imports/${jobId}`)
      .set(...bearer(admin));
    expect(asMemberImport.status).toBe(404);
  });

  it('fails a job whose meeting is verified while it waits for the meeting lock, recording nothing', async () => {
    const created = await http()
      .post('/api/v1/meetings')
      .set(...bearer(wardAdmin))
      .send({ type: 'bpa', wardCode: WARD, scheduledOn: D, place: 'Hall' })
      .expect(201);
    const bpa = (created.body as { id: string }).id;
    await http()
      .post(`/api/v1/meetings/${bpa}/status`)
      .set(...bearer(wardAdmin))
      .send({ status: 'held' })
      .expect(200);
    // Hold the meeting row as a verification would, while the register comes in.
    const holder = await pool().connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM branch_meetings WHERE id = $1 FOR UPDATE', [bpa]);
      const res = await upload(
        wardAdmin,
        csv([['Membership Number'], [active[0]!.membershipNumber], [active[1]!.membershipNumber]]),
        'during-verification.csv',
        {},
        bpa,
      );
      expect(res.status).toBe(202);
      await holder.query(
        `UPDATE branch_meetings SET verified_at = now(), verified_by = $2,
                verified_figures = '{"invited":0,"inGoodStanding":0,"quorum":1,"attendees":0,"attendeesInGoodStanding":0,"quorumMet":false}'
          WHERE id = $1`,
        [bpa, subregional.userId],
      );
      await holder.query('COMMIT');
      let job: Job | undefined;
      for (let i = 0; i < 1000 && !['completed', 'failed'].includes(job?.status ?? ''); i += 1) {
        await new Promise((r) => setTimeout(r, 100));
        job = (
          await http()
            .get(`/api/v1/meetings/${bpa}/attendance/imports/${res.body.id}`)
            .set(...bearer(wardAdmin))
        ).body as Job;
      }
      expect(job).toMatchObject({ status: 'failed', insertedRows: 0 });
      expect(job?.error).toMatch(/verified/);
    } finally {
      holder.release();
    }
    const { rows } = await pool().query<{ n: number }>(
      'SELECT count(*)::int AS n FROM branch_meeting_attendance WHERE meeting_id = $1',
      [bpa],
    );
    expect(rows[0]?.n).toBe(0);
  }, 120_000);

  it('refuses a register once the meeting is verified (409 MEETING_LOCKED), creating no job', async () => {
    await http()
      .post(`/api/v1/meetings/${meetingId}/verify`)
      .set(...bearer(subregional))
      .expect(200);
    const jobs = await jobCount();
    const before = await attendees();
    const res = await upload(
      wardAdmin,
      csv([['Membership Number'], [active[3]!.membershipNumber]]),
      'late.csv',
    );
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('MEETING_LOCKED');
    expect(await jobCount()).toBe(jobs);
    expect(await attendees()).toEqual(before);
  });
});
