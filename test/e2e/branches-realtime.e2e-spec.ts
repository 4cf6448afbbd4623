import type { Socket } from 'socket.io-client';
import { bearer, createUser, loginAsSuperAdmin, Session } from '../harness/auth.js';
import { BranchMember, daysFromToday, insertBranchMember } from '../harness/branches-fixtures.js';
import { WARDS } from '../harness/members.js';
import { connectRealtime, nextEvent } from '../harness/realtime.js';
import { startTestContext, TestContext } from '../harness/test-app.js';

interface Message {
  type: string;
  area: Record<string, string | null> | null;
  data: Record<string, unknown>;
}

const WARD = WARDS.own; // 74201001: GT421, DC42, GP
const AREA = {
  provinceCode: 'GP',
  districtCode: 'DC42',
  municipalityCode: 'GT421',
  wardCode: WARD,
};
const BRANCH_EVENTS = [
  'branch.meeting_changed',
  'branch.compliance_approved',
  'branch.delegate_selected',
];

/**
 * Branch events (meeting scheduled/held/verified, ward compliance approved, delegate selected) reach the ward's
 * room and its parents' rooms through real socket.io clients: the ward admin and the sub-regional, regional and
 * provincial admins above it hear each one; an admin of another province and the admin of a sibling ward hear none.
 * A CCT meeting (no area) reaches national sockets only.
 */
describe('branches: realtime (e2e)', () => {
  let t: TestContext;
  let admin: Session;
  let wardAdmin: Session;
  let provincial: Session;
  let otherProvince: Session;
  let siblingWard: Session;
  const members: BranchMember[] = [];
  const sockets: Socket[] = [];
  let ward: Socket;
  let gp: Socket;
  /** The parents between the ward and the province: the sub-region (GT421) and the region (DC42). */
  let subregion: Socket;
  let region: Socket;
  /** Every branch event the sockets that must hear nothing received. */
  const overheard: { who: string; event: string; payload: unknown }[] = [];

  const http = () => t.app.http();

  beforeAll(async () => {
    t = await startTestContext({ STATUS_RECALC_CRON: 'off', AUTH_THROTTLE_LIMIT: '1000' });
    admin = await loginAsSuperAdmin(t.app);
    wardAdmin = await createUser(t.app, admin, 'ward_admin', 'ward', WARD);
    provincial = await createUser(t.app, admin, 'provincial_admin', 'province', 'GP');
    otherProvince = await createUser(t.app, admin, 'provincial_admin', 'province', 'LP');
    siblingWard = await createUser(t.app, admin, 'ward_admin', 'ward', WARDS.siblingWard);
    for (let i = 0; i < 4; i += 1) members.push(await insertBranchMember(t.db.pool, WARD));

    ward = await connectRealtime(t.app, { token: wardAdmin.accessToken });
    gp = await connectRealtime(t.app, { token: provincial.accessToken });
    const lp = await connectRealtime(t.app, { token: otherProvince.accessToken });
    const sibling = await connectRealtime(t.app, { token: siblingWard.accessToken });
    sockets.push(ward, gp, lp, sibling);
    subregion = await connectRealtime(t.app, {
      token: (await createUser(t.app, admin, 'subregional_admin', 'municipality', 'GT421'))
        .accessToken,
    });
    region = await connectRealtime(t.app, {
      token: (await createUser(t.app, admin, 'regional_admin', 'district', 'DC42')).accessToken,
    });
    sockets.push(subregion, region);
    for (const [who, socket] of [
      ['LP provincial admin', lp],
      ['sibling ward admin', sibling],
    ] as const) {
      socket.onAny((event: string, payload: unknown) => {
        if (BRANCH_EVENTS.includes(event)) overheard.push({ who, event, payload });
      });
    }
  }, 120_000);
  afterAll(async () => {
    for (const s of sockets) s.close();
    await t?.close();
  });

  /** Runs `act` and returns the event both the ward admin and the provincial admin received. */
  async function heardByWardAndProvince(
    event: string,
    act: () => Promise<unknown>,
    matches: (m: Message) => boolean,
  ): Promise<Message> {
    const wait = (socket: Socket): Promise<Message> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          socket.off(event, handler);
          reject(new Error(`no matching ${event} within 10 s`));
        }, 10_000);
        const handler = (m: Message): void => {
          if (!matches(m)) return;
          clearTimeout(timer);
          socket.off(event, handler);
          resolve(m);
        };
        socket.on(event, handler);
      });
    const heard = Promise.all([wait(ward), wait(gp), wait(subregion), wait(region)]);
    await act();
    const [byWard, byProvince, bySubregion, byRegion] = await heard;
    expect(byProvince).toEqual(byWard);
    expect(bySubregion).toEqual(byWard);
    expect(byRegion).toEqual(byWard);
    expect(byWard.area).toEqual(AREA);
    return byWard;
  }

  let meetingId: string;

  it('meeting scheduled, held and verified: the ward and its province hear each change', async () => {
    const scheduled = await heardByWardAndProvince(
      'branch.meeting_changed',
      async () => {
        const res = await http()
          .post('/api/v1/meetings')
          .set(...bearer(wardAdmin))
          .send({ type: 'bga', wardCode: WARD, scheduledOn: daysFromToday(-3), place: 'Hall' })
          .expect(201);
        meetingId = (res.body as { id: string }).id;
      },
      (m) => m.data.change === 'scheduled',
    );
    expect(scheduled.data).toEqual({
      meetingId,
      type: 'bga',
      structureId: null,
      change: 'scheduled',
    });

    const held = await heardByWardAndProvince(
      'branch.meeting_changed',
      () =>
        http()
          .post(`/api/v1/meetings/${meetingId}/status`)
          .set(...bearer(wardAdmin))
          .send({ status: 'held' })
          .expect(200),
      (m) => m.data.change === 'held',
    );
    expect(held.data).toMatchObject({ meetingId, change: 'held' });

    await http()
      .post(`/api/v1/meetings/${meetingId}/attendance`)
      .set(...bearer(wardAdmin))
      .send({ membershipNumbers: members.slice(0, 3).map((m) => m.membershipNumber) })
      .expect(200);
    const verified = await heardByWardAndProvince(
      'branch.meeting_changed',
      () =>
        http()
          .post(`/api/v1/meetings/${meetingId}/verify`)
          .set(...bearer(provincial))
          .expect(200),
      (m) => m.data.change === 'verified',
    );
    expect(verified.data).toMatchObject({ meetingId, change: 'verified' });
  });

  it('delegate selected: the ward and its province hear it', async () => {
    let delegateId = '';
    const selected = await heardByWardAndProvince(
      'branch.delegate_selected',
      async () => {
        const res = await http()
          .post(`/api/v1/wards/${WARD}/delegates`)
          .set(...bearer(wardAdmin))
          .send({ assembly: 'srpa', memberId: members[0]!.id, meetingId })
          .expect(201);
        delegateId = (res.body as { id: string }).id;
      },
      () => true,
    );
    expect(selected.data).toEqual({
      delegateId,
      wardCode: WARD,
      assembly: 'srpa',
      replacesId: null,
    });
  });

  it('ward compliance approved: the ward and its province hear it', async () => {
    let approvalId = '';
    const approved = await heardByWardAndProvince(
      'branch.compliance_approved',
      async () => {
        const res = await http()
          .post(`/api/v1/wards/${WARD}/audit/approvals`)
          .set(...bearer(provincial))
          .send({ exception: true, reason: 'Fewer than the minimum Active members this year' })
          .expect(201);
        approvalId = (res.body as { id: string }).id;
      },
      () => true,
    );
    expect(approved.data).toEqual({ wardCode: WARD, approvalId, exception: true });
  });

  it('another province and a sibling ward heard none of it (while the other province hears its own)', async () => {
    // The other province's socket is listening: it hears a meeting of its own province.
    const [lp] = sockets.slice(2);
    const own = nextEvent<Message>(lp!, 'branch.meeting_changed', 10_000);
    await http()
      .post('/api/v1/meetings')
      .set(...bearer(otherProvince))
      .send({
        type: 'bga',
        wardCode: WARDS.otherProvince,
        scheduledOn: daysFromToday(7),
        place: 'Hall',
      })
      .expect(201);
    expect((await own).area).toMatchObject({ provinceCode: 'LP', wardCode: WARDS.otherProvince });
    // A last GP event, then a pause: anything addressed to the wrong rooms has had time to arrive.
    const last = nextEvent<Message>(gp, 'branch.meeting_changed', 10_000);
    await http()
      .post('/api/v1/meetings')
      .set(...bearer(provincial))
      .send({ type: 'bpa', wardCode: WARD, scheduledOn: daysFromToday(7), place: 'Hall' })
      .expect(201);
    await last;
    await new Promise((r) => setTimeout(r, 1_000));
    const leaked = overheard.filter(
      (o) =>
        !(o.who === 'LP provincial admin' && (o.payload as Message).area?.provinceCode === 'LP'),
    );
    expect(leaked).toEqual([]);
    expect(overheard).toHaveLength(1);
  });

  it('a CCT meeting (no province): national sockets hear it, no provincial, regional or ward socket does', async () => {
    const national = await connectRealtime(t.app, { token: admin.accessToken });
    sockets.push(national);
    const heard: string[] = [];
    for (const [who, socket] of [
      ['ward', ward],
      ['GP', gp],
      ['sub-region', subregion],
      ['region', region],
      ...sockets.slice(2, 4).map((x, i) => [i === 0 ? 'LP' : 'sibling', x] as const),
    ] as const) {
      socket.on('branch.meeting_changed', (m: Message) => {
        if (m.data.type === 'structure') heard.push(who);
      });
    }
    const { rows } = await t.db.pool.query<{ id: string }>(
      "SELECT id FROM leadership_structures WHERE kind = 'cct'",
    );
    const cct = nextEvent<Message>(national, 'branch.meeting_changed', 10_000);
    await http()
      .post('/api/v1/meetings')
      .set(...bearer(admin))
      .send({
        type: 'structure',
        structureId: rows[0]!.id,
        scheduledOn: daysFromToday(3),
        place: 'HQ',
      })
      .expect(201);
    const m = await cct;
    expect(m.area).toBeNull();
    expect(m.data).toMatchObject({
      type: 'structure',
      structureId: rows[0]!.id,
      change: 'scheduled',
    });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(heard).toEqual([]);
  });
});
