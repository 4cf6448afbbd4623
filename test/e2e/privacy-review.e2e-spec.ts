import { bearer, createUser, loginAsSuperAdmin, Session, TestUser } from '../harness/auth.js';
import { connectRealtime, nextEvent } from '../harness/realtime.js';
import {
  createMember,
  insertApplication,
  MemberBody,
  submitApplication,
  validIdNumber,
  WARDS,
} from '../harness/members.js';
import { startTestContext, TestContext } from '../harness/test-app.js';

const RETENTION_DAYS = 30;
const PERSONAL = ['idNumber', 'dateOfBirth', 'cellNumber', 'email', 'residentialAddress'];

interface AccessEntry {
  action: string;
  entityType: string;
  entityId: string | null;
  actorUserId: string | null;
  actorEmail: string | null;
}

interface ListedRow {
  actor_user_id: string;
  province_code: string | null;
  changes: { filters: Record<string, unknown>; page: string; count: number; ids: string[] };
}

describe('security review #15: data export scope and auditor minimisation (e2e)', () => {
  let t: TestContext;
  let admin: Session;
  let gpAdmin: TestUser;
  let lpAdmin: TestUser;
  let wardAdmin: TestUser;
  let nationalAdmin: TestUser;
  let auditor: TestUser;

  beforeAll(async () => {
    t = await startTestContext({ MEMBER_RETENTION_DAYS: String(RETENTION_DAYS) });
    admin = await loginAsSuperAdmin(t.app);
    gpAdmin = await createUser(t.app, admin, 'provincial_admin', 'province', 'GP');
    lpAdmin = await createUser(t.app, admin, 'provincial_admin', 'province', 'LP');
    wardAdmin = await createUser(t.app, admin, 'ward_admin', 'ward', WARDS.own);
    nationalAdmin = await createUser(t.app, admin, 'national_admin', 'national', null);
    auditor = await createUser(t.app, admin, 'auditor', 'province', 'GP');
  });
  afterAll(() => t?.close());

  const http = () => t.app.http();

  async function dataExport(session: Session, memberId: string) {
    const res = await http()
      .get(`/api/v1/members/${memberId}/data-export`)
      .set(...bearer(session))
      .expect(200);
    return res.body as { applications: { id: string }[]; accessLog: AccessEntry[] };
  }

  /** Access records are written in batches a moment after the read: waits (up to 5 s) for `count` of them. */
  async function listedRows(
    action: string,
    actorId: string,
    since: Date,
    count: number,
  ): Promise<ListedRow[]> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const { rows } = await t.db.pool.query<ListedRow>(
        `SELECT actor_user_id, province_code, changes FROM audit_events
          WHERE action = $1 AND actor_user_id = $2 AND occurred_at >= $3 ORDER BY occurred_at`,
        [action, actorId, since],
      );
      if (rows.length >= count || Date.now() > deadline) return rows;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  describe("#15.3 the POPIA data export leaks other provinces' applications", () => {
    const lpContact = {
      email: 'limpopo.applicant@example.org',
      cellNumber: '0835550199',
      residentialAddress: '7 Thohoyandou Road, Limpopo',
    };
    let idNumber: string;
    let lpApplication: string;
    let member: MemberBody;

    beforeAll(async () => {
      idNumber = validIdNumber();
      // someone applies in Limpopo with this ID number; an LP admin reviews and rejects it
      lpApplication = await submitApplication(t.app, t.db.pool, {
        idNumber,
        wardCode: WARDS.otherProvince,
        ...lpContact,
      });
      await http()
        .post(`/api/v1/applications/${lpApplication}/review`)
        .set(...bearer(lpAdmin))
        .expect(200);
      await http()
        .post(`/api/v1/applications/${lpApplication}/reject`)
        .set(...bearer(lpAdmin))
        .send({ reason: 'Not resident in the ward' })
        .expect(200);
      // the GP admin registers the same ID number in Gauteng, then asks for "everything held about the member"
      member = await createMember(t.app, gpAdmin, { idNumber, wardCode: WARDS.own });
    });

    it("gives a GP admin no LP application, its audit events or its reviewer's identity", async () => {
      for (const session of [gpAdmin, wardAdmin]) {
        const body = await dataExport(session, member.id);
        expect(body.applications).toEqual([]);
        expect(body.accessLog.filter((e) => e.entityType === 'membership_application')).toEqual([]);
        const text = JSON.stringify(body);
        for (const secret of [
          lpApplication,
          lpAdmin.userId,
          lpAdmin.email,
          lpContact.email,
          '835550199',
          lpContact.residentialAddress,
          'Not resident in the ward',
        ])
          expect(text).not.toContain(secret);
      }
    });

    it('still shows it to a national admin, whose scope holds both', async () => {
      const body = await dataExport(nationalAdmin, member.id);
      expect(body.applications.map((a) => a.id)).toEqual([lpApplication]);
      expect(body.accessLog).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            action: 'application.rejected',
            entityId: lpApplication,
            actorEmail: lpAdmin.email,
          }),
        ]),
      );
    });

    it('leaves out audit events recorded while the member lived in another province', async () => {
      const moved = await createMember(t.app, lpAdmin, { wardCode: WARDS.otherProvince });
      await http()
        .get(`/api/v1/members/${moved.id}`)
        .set(...bearer(lpAdmin))
        .expect(200);
      await http()
        .post(`/api/v1/members/${moved.id}/transfer`)
        .set(...bearer(nationalAdmin))
        .send({ toWardCode: WARDS.own, reason: 'Moved to Gauteng' })
        .expect(200);
      const gp = await dataExport(gpAdmin, moved.id);
      expect(gp.accessLog.filter((e) => e.actorUserId === lpAdmin.userId)).toEqual([]);
      expect(JSON.stringify(gp)).not.toContain(lpAdmin.email);
      expect(gp.accessLog).toEqual(
        expect.arrayContaining([expect.objectContaining({ action: 'member.transferred' })]),
      );
      const national = await dataExport(nationalAdmin, moved.id);
      expect(national.accessLog).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ action: 'member.created', actorUserId: lpAdmin.userId }),
          expect.objectContaining({ action: 'member.viewed', actorUserId: lpAdmin.userId }),
        ]),
      );
    });

    it('erasure still scrubs every application with the ID number, in any province', async () => {
      // a list page whose search named the member: its access record must be scrubbed too
      const since = new Date();
      await http()
        .get('/api/v1/members')
        .query({ q: idNumber })
        .set(...bearer(nationalAdmin))
        .expect(200);
      const [listed] = await listedRows('members.listed', nationalAdmin.userId, since, 1);
      expect(listed?.changes.filters.q).toBe(idNumber);
      await http()
        .post(`/api/v1/members/${member.id}/status`)
        .set(...bearer(admin))
        .send({ action: 'cancel', reason: 'Resigned' })
        .expect(200);
      await t.db.pool.query(
        `UPDATE member_history SET created_at = created_at - make_interval(days => $2)
          WHERE member_id = $1`,
        [member.id, RETENTION_DAYS + 1],
      );
      const res = await http()
        .post(`/api/v1/members/${member.id}/erasure`)
        .set(...bearer(admin))
        .expect(200);
      expect(res.body.applications).toBe(1);
      const { rows } = await t.db.pool.query<{ email: string | null; id_number: string }>(
        'SELECT email, id_number FROM membership_applications WHERE id = $1',
        [lpApplication],
      );
      expect(rows[0]?.email).toBeNull();
      expect(rows[0]?.id_number).not.toBe(idNumber);
      const after = await listedRows('members.listed', nationalAdmin.userId, since, 1);
      expect(JSON.stringify(after)).not.toContain(idNumber);
    });
  });

  describe('#15.5 auditors get full personal data, and list reads are not logged', () => {
    let member: MemberBody;
    let application: string;

    beforeAll(async () => {
      member = await createMember(t.app, admin, {
        wardCode: WARDS.siblingWard,
        email: 'audited.member@example.org',
        residentialAddress: '3 Minimised Street, Soweto',
      });
      await http()
        .patch(`/api/v1/members/${member.id}`)
        .set(...bearer(admin))
        .send({ version: member.version, email: 'changed.member@example.org' })
        .expect(200);
      application = await insertApplication(t.db.pool, WARDS.siblingWard);
      await t.db.pool.query(
        `UPDATE membership_applications SET email = 'applicant@example.org',
                cell_number = '+27835550123', residential_address = '9 Applicant Lane' WHERE id = $1`,
        [application],
      );
    });

    function expectMinimised(row: Record<string, unknown>): void {
      for (const field of PERSONAL) expect(row).not.toHaveProperty(field);
      expect(row.minimised).toBe(true);
    }

    it('gives an auditor minimised members in GET /members and GET /members/{id}', async () => {
      const one = await http()
        .get(`/api/v1/members/${member.id}`)
        .set(...bearer(auditor))
        .expect(200);
      expectMinimised(one.body);
      expect(one.body).toMatchObject({ id: member.id, membershipNumber: member.membershipNumber });
      const list = await http()
        .get('/api/v1/members')
        .query({ wardCode: WARDS.siblingWard, limit: 100 })
        .set(...bearer(auditor))
        .expect(200);
      const rows = list.body.data as Record<string, unknown>[];
      expect(rows.map((r) => r.id)).toContain(member.id);
      rows.forEach(expectMinimised);
      const text = JSON.stringify([one.body, list.body]);
      for (const secret of [member.idNumber, '821234567', 'changed.member@', 'Minimised Street'])
        expect(text).not.toContain(secret);
      // an admin still gets the full record
      const full = await http()
        .get(`/api/v1/members/${member.id}`)
        .set(...bearer(gpAdmin))
        .expect(200);
      expect(full.body).toMatchObject({
        idNumber: member.idNumber,
        email: 'changed.member@example.org',
      });
      expect(full.body).not.toHaveProperty('minimised');
    });

    it('redacts personal values in the history an auditor reads', async () => {
      const res = await http()
        .get(`/api/v1/members/${member.id}/history`)
        .set(...bearer(auditor))
        .expect(200);
      expect(JSON.stringify(res.body)).not.toContain('member@example.org');
      const updated = (res.body.data as { kind: string; details: Record<string, unknown> }[]).find(
        (h) => h.kind === 'updated',
      );
      expect(updated?.details).toEqual({
        changes: { email: { from: '[REDACTED]', to: '[REDACTED]' } },
      });
    });

    it('gives an auditor minimised applications in GET /applications and GET /applications/{id}', async () => {
      const one = await http()
        .get(`/api/v1/applications/${application}`)
        .set(...bearer(auditor))
        .expect(200);
      expectMinimised(one.body);
      const list = await http()
        .get('/api/v1/applications')
        .query({ wardCode: WARDS.siblingWard, limit: 100 })
        .set(...bearer(auditor))
        .expect(200);
      const rows = list.body.data as Record<string, unknown>[];
      expect(rows.map((r) => r.id)).toContain(application);
      rows.forEach(expectMinimised);
      const text = JSON.stringify([one.body, list.body]);
      for (const secret of ['applicant@example.org', '835550123', 'Applicant Lane'])
        expect(text).not.toContain(secret);
    });

    it('sends an auditor socket member events without personal data', async () => {
      const socket = await connectRealtime(t.app, { token: auditor.accessToken });
      try {
        const event = nextEvent<{ data: Record<string, unknown> }>(socket, 'member.created');
        const created = await createMember(t.app, admin, {
          wardCode: WARDS.own,
          email: 'socket.member@example.org',
        });
        const message = await event;
        expect(message.data.memberId).toBe(created.id);
        expect(JSON.stringify(message)).not.toContain(created.idNumber);
        expect(JSON.stringify(message)).not.toContain('socket.member@');
        for (const field of PERSONAL) expect(message.data).not.toHaveProperty(field);
      } finally {
        socket.close();
      }
    });

    it('records one members.listed access event per page: actor, filters, count and the ids shown', async () => {
      const since = new Date();
      for (let i = 0; i < 2; i += 1)
        await createMember(t.app, admin, { wardCode: WARDS.siblingWard });
      const first = await http()
        .get('/api/v1/members')
        .query({ wardCode: WARDS.siblingWard, limit: 2, sort: 'joinedOn' })
        .set(...bearer(gpAdmin))
        .expect(200);
      const second = await http()
        .get('/api/v1/members')
        .query({
          wardCode: WARDS.siblingWard,
          limit: 2,
          sort: 'joinedOn',
          cursor: first.body.nextCursor,
        })
        .set(...bearer(gpAdmin))
        .expect(200);
      const ids = (page: { data: { id: string }[] }) => page.data.map((m) => m.id);
      const rows = await listedRows('members.listed', gpAdmin.userId, since, 2);
      expect(rows).toEqual([
        {
          actor_user_id: gpAdmin.userId,
          province_code: 'GP',
          changes: {
            filters: { wardCode: WARDS.siblingWard, limit: 2, sort: 'joinedOn' },
            page: 'first',
            count: 2,
            ids: ids(first.body),
          },
        },
        {
          actor_user_id: gpAdmin.userId,
          province_code: 'GP',
          changes: expect.objectContaining({ page: 'next', ids: ids(second.body) }),
        },
      ]);
      // the member's data export shows the pages that listed it
      const shown = ids(first.body)[0] as string;
      const body = await dataExport(gpAdmin, shown);
      expect(body.accessLog).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ action: 'members.listed', actorUserId: gpAdmin.userId }),
        ]),
      );
    });

    it('records applications.listed for each page of applications, auditors included', async () => {
      const since = new Date();
      const res = await http()
        .get('/api/v1/applications')
        .query({ status: 'submitted', limit: 5 })
        .set(...bearer(auditor))
        .expect(200);
      const rows = await listedRows('applications.listed', auditor.userId, since, 1);
      expect(rows).toEqual([
        expect.objectContaining({
          actor_user_id: auditor.userId,
          province_code: 'GP',
          changes: {
            filters: { status: 'submitted', limit: 5 },
            page: 'first',
            count: res.body.data.length,
            ids: (res.body.data as { id: string }[]).map((a) => a.id),
          },
        }),
      ]);
    });

    it('documents the minimised shapes in OpenAPI as oneOf the full and the minimised schema', async () => {
      const res = await http().get('/docs-json').expect(200);
      const doc = res.body as {
        paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
        components: { schemas: Record<string, { properties: Record<string, unknown> }> };
      };
      const schemas = doc.components.schemas;
      for (const name of ['MinimisedMemberDto', 'MinimisedApplicationDto']) {
        const properties = Object.keys(schemas[name]?.properties ?? {});
        expect(properties).toEqual(expect.arrayContaining(['id', 'minimised']));
        for (const field of PERSONAL) expect(properties).not.toContain(field);
      }
      const ok = (path: string) => JSON.stringify(doc.paths[path]?.get?.responses['200'] ?? null);
      for (const [path, schema] of [
        ['/api/v1/members/{id}', 'MinimisedMemberDto'],
        ['/api/v1/applications/{id}', 'MinimisedApplicationDto'],
      ] as const) {
        expect(ok(path)).toContain('oneOf');
        expect(ok(path)).toContain(`#/components/schemas/${schema}`);
      }
      expect(JSON.stringify(schemas.MemberPage)).toContain(
        '#/components/schemas/MinimisedMemberDto',
      );
      expect(JSON.stringify(schemas.ApplicationPage)).toContain(
        '#/components/schemas/MinimisedApplicationDto',
      );
    });
  });
});
