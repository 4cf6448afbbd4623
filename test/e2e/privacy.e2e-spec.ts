import { randomInt } from 'node:crypto';
import {
  bearer,
  createUser,
  login,
  loginAsSuperAdmin,
  Session,
  TestUser,
} from '../harness/auth.js';
import { insertAppointment, positionId, structureId } from '../harness/leadership-fixtures.js';
import { createMember, MemberBody, validIdNumber, WARDS } from '../harness/members.js';
import { startApp, startTestContext, TestContext } from '../harness/test-app.js';

const RETENTION_DAYS = 30;

interface AccessEntry {
  action: string;
  actorUserId: string | null;
  actorEmail: string | null;
  occurredAt: string;
  bulk: boolean;
}

/** Letters only, unlikely to occur anywhere else in the database. */
function uniqueWord(prefix: string): string {
  let word = prefix;
  for (let i = 0; i < 8; i += 1) word += String.fromCharCode(97 + randomInt(0, 26));
  return word;
}

describe('privacy: data export, access logging, consent, objection, erasure (e2e)', () => {
  let t: TestContext;
  let admin: Session;
  let gpAdmin: TestUser;
  let lpAdmin: TestUser;
  let wardAdminElsewhere: TestUser;
  let auditor: TestUser;
  let nationalAdmin: TestUser;

  beforeAll(async () => {
    t = await startTestContext({ MEMBER_RETENTION_DAYS: String(RETENTION_DAYS) });
    admin = await loginAsSuperAdmin(t.app);
    gpAdmin = await createUser(t.app, admin, 'provincial_admin', 'province', 'GP');
    lpAdmin = await createUser(t.app, admin, 'provincial_admin', 'province', 'LP');
    wardAdminElsewhere = await createUser(t.app, admin, 'ward_admin', 'ward', WARDS.siblingWard);
    auditor = await createUser(t.app, admin, 'auditor', 'national', null);
    nationalAdmin = await createUser(t.app, admin, 'national_admin', 'national', null);
  });
  afterAll(() => t?.close());

  const http = () => t.app.http();

  async function auditRows(memberId: string, action: string) {
    const { rows } = await t.db.pool.query<{ actor_user_id: string | null; province_code: string }>(
      'SELECT actor_user_id, province_code FROM audit_events WHERE entity_id = $1 AND action = $2',
      [memberId, action],
    );
    return rows;
  }

  /** "table: value" for every value found anywhere in a row of any table (the row as text). */
  /**
   * Tables (and values) in which any of `values` appears in any column. With `memberId`, the members table is
   * searched in that member's row only: other members may share a birth date.
   */
  async function occurrences(values: string[], memberId?: string): Promise<string[]> {
    const tables = await t.db.pool.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    const found: string[] = [];
    for (const { table_name } of tables.rows) {
      for (const value of values) {
        const hit = await t.db.pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM "${table_name}" x
            WHERE position(lower($1) IN lower(x::text)) > 0
              ${memberId && table_name === 'members' ? 'AND x.id = $2' : ''}`,
          memberId && table_name === 'members' ? [value, memberId] : [value],
        );
        if ((hit.rows[0]?.n ?? 0) > 0) found.push(`${table_name}: ${value}`);
      }
    }
    return found;
  }

  async function cancel(member: MemberBody): Promise<void> {
    await http()
      .post(`/api/v1/members/${member.id}/status`)
      .set(...bearer(admin))
      .send({ action: 'cancel', reason: 'Resigned from the party' })
      .expect(200);
  }

  /** Moves the member's status change (and everything else about it) back past the retention period. */
  async function ageStatusChange(memberId: string, days: number): Promise<void> {
    await t.db.pool.query(
      `UPDATE member_history SET created_at = created_at - make_interval(days => $2)
        WHERE member_id = $1`,
      [memberId, days],
    );
  }

  /** Access records are written in batches a moment after the read: waits (up to 5 s) until `count` are in. */
  async function viewedRows(memberId: string, count: number) {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const rows = await auditRows(memberId, 'member.viewed');
      if (rows.length >= count || Date.now() > deadline) return rows;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  describe('access logging', () => {
    it('records who read a single member (GET /members/{id}) as member.viewed; a 404 records nothing', async () => {
      const member = await createMember(t.app, admin);
      await http()
        .get(`/api/v1/members/${member.id}`)
        .set(...bearer(gpAdmin))
        .expect(200);
      expect(await viewedRows(member.id, 1)).toEqual([
        { actor_user_id: gpAdmin.userId, province_code: 'GP' },
      ]);
      await http()
        .get(`/api/v1/members/${member.id}`)
        .set(...bearer(lpAdmin))
        .expect(404);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await auditRows(member.id, 'member.viewed')).toHaveLength(1);
    });

    it('records every one of many parallel reads, each with its own request id', async () => {
      const member = await createMember(t.app, admin);
      const reads = 40;
      await Promise.all(
        Array.from({ length: reads }, () =>
          http()
            .get(`/api/v1/members/${member.id}`)
            .set(...bearer(gpAdmin))
            .expect(200),
        ),
      );
      expect(await viewedRows(member.id, reads)).toHaveLength(reads);
      const { rows } = await t.db.pool.query<{ n: number }>(
        `SELECT count(DISTINCT request_id)::int AS n FROM audit_events WHERE entity_id = $1 AND action = 'member.viewed'`,
        [member.id],
      );
      expect(rows[0]?.n).toBe(reads);
    });

    it('writes the reads still queued when the process is stopped', async () => {
      const member = await createMember(t.app, admin);
      // A flush interval longer than the test: only the shutdown can write the record.
      const second = await startApp(t.db, { AUDIT_ACCESS_FLUSH_MS: '60000' });
      try {
        // Sessions live in each process's memory here (no REDIS_URL): sign in on the second process.
        const session = await login(second, gpAdmin.email, gpAdmin.password);
        await second
          .http()
          .get(`/api/v1/members/${member.id}`)
          .set(...bearer(session))
          .expect(200);
      } finally {
        expect(await second.stop('SIGTERM')).toBe(0);
      }
      expect(await auditRows(member.id, 'member.viewed')).toEqual([
        { actor_user_id: gpAdmin.userId, province_code: 'GP' },
      ]);
    });
  });

  describe('GET /members/{id}/data-export', () => {
    let member: MemberBody;
    let appointmentId: string;
    let applicationId: string;

    beforeAll(async () => {
      member = await createMember(t.app, admin, {
        email: 'access.request@example.org',
        residentialAddress: '12 Vilakazi Street, Orlando West',
        joinedOn: '2024-01-10',
        lastPaidOn: '2024-01-10',
      });
      await http()
        .patch(`/api/v1/members/${member.id}`)
        .set(...bearer(admin))
        .send({ version: member.version, surname: `${member.surname}x` })
        .expect(200);
      await http()
        .post(`/api/v1/members/${member.id}/renewals`)
        .set(...bearer(admin))
        .send({
          reason: 'Manual renewal in test',
          paidOn: '2025-01-05',
          reference: `PAY-${randomInt(1e9)}`,
        })
        .expect(201);
      await http()
        .post(`/api/v1/members/${member.id}/transfer`)
        .set(...bearer(admin))
        .send({ toWardCode: WARDS.siblingWard, reason: 'Moved house' })
        .expect(200);
      const { rows } = await t.db.pool.query<{ id: string }>(
        `INSERT INTO membership_applications
           (status, id_number, first_names, surname, date_of_birth, gender, citizenship, ward_code,
            municipality_code, district_code, province_code, consent_given_at, submitted_at, version)
         SELECT 'rejected', $1, $2, $3, $4, $5, $6, w.code, w.municipality_code, w.district_code,
                w.province_code, now(), now(), 1
           FROM wards w WHERE w.code = $7 RETURNING id`,
        [
          member.idNumber,
          member.firstNames,
          member.surname,
          member.dateOfBirth,
          member.gender,
          member.citizenship,
          WARDS.own,
        ],
      );
      applicationId = rows[0]?.id ?? '';
      appointmentId = await insertAppointment(t.db.pool, {
        structureId: await structureId(t.db.pool, 'bct', WARDS.own),
        positionId: await positionId(t.db.pool, 'bct', 'additional_member'),
        memberId: member.id,
        startsOn: '2024-02-01',
        endsOn: '2025-02-01',
      });
      // a national bulk export (as the export route records it) may have included the member
      await t.db.pool.query(
        `INSERT INTO audit_events (action, entity_type, actor_user_id, changes)
         VALUES ('members.exported', 'member', $1, '{"rows": 10}')`,
        [nationalAdmin.userId],
      );
      await http()
        .get(`/api/v1/members/${member.id}`)
        .set(...bearer(admin))
        .expect(200);
    });

    it('lists the record, its history, renewals, transfers, positions, applications and who accessed it', async () => {
      const res = await http()
        .get(`/api/v1/members/${member.id}/data-export`)
        .set(...bearer(gpAdmin))
        .expect(200);
      const body = res.body as Record<string, unknown>;
      expect(body.member).toMatchObject({
        id: member.id,
        idNumber: member.idNumber,
        email: 'access.request@example.org',
        residentialAddress: '12 Vilakazi Street, Orlando West',
        wardCode: WARDS.siblingWard,
        contactObjectedAt: null,
        anonymisedAt: null,
      });
      expect((body.history as { kind: string }[]).map((h) => h.kind)).toEqual([
        'created',
        'updated',
        'renewed',
        'transferred',
      ]);
      expect(body.renewals).toEqual([
        expect.objectContaining({ paidOn: '2025-01-05', amountCents: 1000 }),
      ]);
      expect(body.transfers).toEqual([
        expect.objectContaining({
          fromWardCode: WARDS.own,
          toWardCode: WARDS.siblingWard,
          reason: 'Moved house',
        }),
      ]);
      expect(body.positions).toEqual([
        expect.objectContaining({
          id: appointmentId,
          startsOn: '2024-02-01',
          endsOn: '2025-02-01',
          position: expect.objectContaining({ code: 'additional_member' }),
        }),
      ]);
      expect(body.applications).toEqual([
        expect.objectContaining({
          id: applicationId,
          idNumber: member.idNumber,
          status: 'rejected',
        }),
      ]);
      const log = body.accessLog as AccessEntry[];
      expect(log[0]).toMatchObject({
        action: 'member.data_exported',
        actorUserId: gpAdmin.userId,
        actorEmail: gpAdmin.email,
        bulk: false,
      });
      expect(log).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ action: 'member.viewed', actorUserId: admin.userId }),
          expect.objectContaining({ action: 'member.created', actorUserId: admin.userId }),
          expect.objectContaining({ action: 'member.updated' }),
          expect.objectContaining({ action: 'member.transferred' }),
          expect.objectContaining({
            action: 'members.exported',
            actorUserId: nationalAdmin.userId,
            bulk: true,
          }),
        ]),
      );
      // the export itself is audited
      expect(await auditRows(member.id, 'member.data_exported')).toEqual([
        { actor_user_id: gpAdmin.userId, province_code: 'GP' },
      ]);
    });

    it("answers 404 outside the caller's area, 403 for auditors, 400 for a bad id; none is audited", async () => {
      await http()
        .get(`/api/v1/members/${member.id}/data-export`)
        .set(...bearer(lpAdmin))
        .expect(404);
      await http()
        .get(`/api/v1/members/${member.id}/data-export`)
        .set(...bearer(auditor))
        .expect(403);
      await http()
        .get('/api/v1/members/not-a-uuid/data-export')
        .set(...bearer(gpAdmin))
        .expect(400);
      await http()
        .get('/api/v1/members/00000000-0000-4000-8000-000000000000/data-export')
        .set(...bearer(gpAdmin))
        .expect(404);
      await http().get(`/api/v1/members/${member.id}/data-export`).expect(401);
      expect(await auditRows(member.id, 'member.data_exported')).toHaveLength(1);
    });

    it("is open to a ward admin of the member's (new) ward, not of the ward it left", async () => {
      const own = await createUser(t.app, admin, 'ward_admin', 'ward', WARDS.own);
      await http()
        .get(`/api/v1/members/${member.id}/data-export`)
        .set(...bearer(own))
        .expect(404);
      await http()
        .get(`/api/v1/members/${member.id}/data-export`)
        .set(...bearer(wardAdminElsewhere))
        .expect(200);
    });
  });

  describe('consent and objection', () => {
    it('records consent withdrawn and given, with history and audit', async () => {
      const member = await createMember(t.app, admin);
      expect(member.consentGivenAt).toEqual(expect.any(String));
      const withdrawn = await http()
        .post(`/api/v1/members/${member.id}/consent`)
        .set(...bearer(gpAdmin))
        .send({ given: false })
        .expect(200);
      expect(withdrawn.body).toMatchObject({ id: member.id, consentGivenAt: null });
      const given = await http()
        .post(`/api/v1/members/${member.id}/consent`)
        .set(...bearer(gpAdmin))
        .send({ given: true })
        .expect(200);
      expect(given.body.consentGivenAt).toEqual(expect.any(String));
      // giving it again keeps the first time
      const again = await http()
        .post(`/api/v1/members/${member.id}/consent`)
        .set(...bearer(gpAdmin))
        .send({ given: true })
        .expect(200);
      expect(again.body.consentGivenAt).toBe(given.body.consentGivenAt);
      expect(await auditRows(member.id, 'member.consent_changed')).toHaveLength(2);
    });

    it('records an objection to contact (with a reason) and its withdrawal', async () => {
      const member = await createMember(t.app, admin);
      const objected = await http()
        .post(`/api/v1/members/${member.id}/objection`)
        .set(...bearer(gpAdmin))
        .send({ objects: true, reason: 'No more SMSes please' })
        .expect(200);
      expect(objected.body.contactObjectedAt).toEqual(expect.any(String));
      const { rows } = await t.db.pool.query<{ contact_objected_at: Date | null }>(
        'SELECT contact_objected_at FROM members WHERE id = $1',
        [member.id],
      );
      expect(rows[0]?.contact_objected_at).toBeInstanceOf(Date);
      const history = await t.db.pool.query<{ reason: string | null }>(
        "SELECT reason FROM member_history WHERE member_id = $1 AND kind = 'updated'",
        [member.id],
      );
      expect(history.rows).toEqual([{ reason: 'No more SMSes please' }]);
      const withdrawn = await http()
        .post(`/api/v1/members/${member.id}/objection`)
        .set(...bearer(gpAdmin))
        .send({ objects: false })
        .expect(200);
      expect(withdrawn.body.contactObjectedAt).toBeNull();
      expect(await auditRows(member.id, 'member.objection_changed')).toHaveLength(2);
    });

    it('refuses bad bodies (400), other areas (404), auditors (403)', async () => {
      const member = await createMember(t.app, admin);
      for (const body of [{}, { given: 'yes' }, { given: null }]) {
        await http()
          .post(`/api/v1/members/${member.id}/consent`)
          .set(...bearer(gpAdmin))
          .send(body)
          .expect(400);
      }
      await http()
        .post(`/api/v1/members/${member.id}/objection`)
        .set(...bearer(gpAdmin))
        .send({ objects: true, reason: 'x'.repeat(501) })
        .expect(400);
      await http()
        .post(`/api/v1/members/${member.id}/objection`)
        .set(...bearer(lpAdmin))
        .send({ objects: true })
        .expect(404);
      await http()
        .post(`/api/v1/members/${member.id}/consent`)
        .set(...bearer(auditor))
        .send({ given: false })
        .expect(403);
    });
  });

  describe('POST /members/{id}/erasure', () => {
    it('refuses a member who is not cancelled or deceased (409 MEMBER_NOT_ERASABLE)', async () => {
      const member = await createMember(t.app, admin);
      const res = await http()
        .post(`/api/v1/members/${member.id}/erasure`)
        .set(...bearer(admin))
        .expect(409);
      expect(res.body).toMatchObject({ code: 'MEMBER_NOT_ERASABLE', currentStatus: 'active' });
    });

    it('refuses within the retention period (409 RETENTION_NOT_ELAPSED)', async () => {
      const member = await createMember(t.app, admin);
      await cancel(member);
      await ageStatusChange(member.id, RETENTION_DAYS - 1);
      const res = await http()
        .post(`/api/v1/members/${member.id}/erasure`)
        .set(...bearer(admin))
        .expect(409);
      expect(res.body).toMatchObject({
        code: 'RETENTION_NOT_ELAPSED',
        erasableFrom: expect.any(String),
      });
      const { rows } = await t.db.pool.query<{ anonymised_at: Date | null }>(
        'SELECT anonymised_at FROM members WHERE id = $1',
        [member.id],
      );
      expect(rows[0]?.anonymised_at).toBeNull();
    });

    it('is for super admins only (403 for a national admin), 404 for an unknown member', async () => {
      const member = await createMember(t.app, admin);
      await cancel(member);
      await ageStatusChange(member.id, RETENTION_DAYS + 1);
      await http()
        .post(`/api/v1/members/${member.id}/erasure`)
        .set(...bearer(nationalAdmin))
        .expect(403);
      await http()
        .post(`/api/v1/members/${member.id}/erasure`)
        .set(...bearer(gpAdmin))
        .expect(403);
      await http()
        .post('/api/v1/members/00000000-0000-4000-8000-000000000000/erasure')
        .set(...bearer(admin))
        .expect(404);
    });

    it('anonymises a cancelled member after retention: nothing personal remains anywhere; leadership history and aggregates stay', async () => {
      const firstNames = uniqueWord('Zanele');
      const surname = uniqueWord('Qwabe');
      const renamed = uniqueWord('Dlamini');
      const idNumber = validIdNumber({ born: '880514', female: true });
      const cell = `08${randomInt(2, 4)}${String(randomInt(0, 10_000_000)).padStart(7, '0')}`;
      const appCell = `07${randomInt(2, 4)}${String(randomInt(0, 10_000_000)).padStart(7, '0')}`;
      const email = `${uniqueWord('popia')}@example.org`;
      const address = `${randomInt(100, 999)} ${uniqueWord('Street')} Road, Sebokeng`;
      const member = await createMember(t.app, admin, {
        idNumber,
        firstNames,
        surname,
        cellNumber: cell,
        email,
        residentialAddress: address,
      });
      const cellE164 = member.cellNumber as string;
      // an edit (names in the history and audit diff), an application with the same ID number, a position
      await http()
        .patch(`/api/v1/members/${member.id}`)
        .set(...bearer(admin))
        .send({ version: member.version, surname: renamed })
        .expect(200);
      await t.db.pool.query(
        `INSERT INTO membership_applications
           (status, id_number, first_names, surname, date_of_birth, gender, citizenship, cell_number,
            email, residential_address, ward_code, municipality_code, district_code, province_code,
            consent_given_at, submitted_at, rejection_reason, version)
         SELECT 'rejected', $1, $2, $3, '1988-05-14', 'female', 'citizen', $4, $5, $6, w.code,
                w.municipality_code, w.district_code, w.province_code, now(), now(), $7, 1
           FROM wards w WHERE w.code = $8`,
        [
          idNumber,
          firstNames,
          surname,
          `+27${appCell.slice(1)}`,
          email,
          address,
          `Duplicate of ${firstNames} ${surname}`,
          WARDS.own,
        ],
      );
      const bct = await structureId(t.db.pool, 'bct', WARDS.own);
      const appointment = await insertAppointment(t.db.pool, {
        structureId: bct,
        positionId: await positionId(t.db.pool, 'bct', 'additional_member'),
        memberId: member.id,
        startsOn: '2023-01-01',
        endsOn: '2024-01-01',
      });
      await t.db.pool.query('UPDATE leadership_appointments SET note = $2 WHERE id = $1', [
        appointment,
        `Elected at BGM; ${firstNames} reachable on ${cell}`,
      ]);
      await http()
        .get(`/api/v1/members/${member.id}`)
        .set(...bearer(admin))
        .expect(200);
      await cancel(member);
      await ageStatusChange(member.id, RETENTION_DAYS + 1);

      const aggregates = async () =>
        (
          await t.db.pool.query(
            `SELECT province_code, ward_code, status, gender, extract(year FROM date_of_birth) AS year,
                    count(*)::int AS n
               FROM members GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5`,
          )
        ).rows;
      const before = await aggregates();
      const counts = await t.db.pool.query(
        `SELECT (SELECT count(*) FROM members)::int AS members,
                (SELECT count(*) FROM member_history)::int AS history,
                (SELECT count(*) FROM leadership_appointments)::int AS appointments,
                (SELECT count(*) FROM membership_applications)::int AS applications`,
      );

      const needles = [
        idNumber,
        firstNames,
        surname,
        renamed,
        cellE164,
        cell,
        `+27${appCell.slice(1)}`,
        email,
        address,
        '1988-05-14',
      ];
      expect((await occurrences(needles)).map((hit) => hit.split(': ')[1])).toEqual(
        expect.arrayContaining(needles),
      );

      const res = await http()
        .post(`/api/v1/members/${member.id}/erasure`)
        .set(...bearer(admin))
        .expect(200);
      expect(res.body).toMatchObject({
        id: member.id,
        membershipNumber: member.membershipNumber,
        anonymisedAt: expect.any(String),
        applications: 1,
      });

      // the record: placeholders, year of birth, same ward chain, status and dates
      const { rows } = await t.db.pool.query<Record<string, unknown>>(
        `SELECT id_number, first_names, surname, to_char(date_of_birth, 'YYYY-MM-DD') AS dob, gender,
                cell_number, email, residential_address, ward_code, province_code, status,
                membership_number, anonymised_at
           FROM members WHERE id = $1`,
        [member.id],
      );
      const erased = rows[0] as Record<string, unknown>;
      expect(erased).toMatchObject({
        first_names: 'Erased',
        surname: 'member',
        dob: '1988-01-01',
        gender: 'female',
        cell_number: null,
        email: null,
        residential_address: null,
        ward_code: WARDS.own,
        province_code: 'GP',
        status: 'cancelled',
        membership_number: member.membershipNumber,
      });
      expect(erased.anonymised_at).toBeInstanceOf(Date);
      expect(erased.id_number).toHaveLength(13);
      expect(erased.id_number).not.toMatch(/^\d{13}$/);

      // no personal value of the member remains in any column of any table (each was there before)
      expect(await occurrences(needles, member.id)).toEqual([]);

      // nothing was deleted; aggregate statistics are unchanged
      expect(
        (
          await t.db.pool.query(
            `SELECT (SELECT count(*) FROM members)::int AS members,
                    (SELECT count(*) FROM member_history)::int AS history,
                    (SELECT count(*) FROM leadership_appointments)::int AS appointments,
                    (SELECT count(*) FROM membership_applications)::int AS applications`,
          )
        ).rows,
      ).toEqual(counts.rows);
      expect(await aggregates()).toEqual(before);

      // leadership history still lists the appointment, held by "Erased member" (membership number)
      const history = await http()
        .get(`/api/v1/leadership/structures/${bct}/history`)
        .set(...bearer(admin))
        .expect(200);
      expect(history.body.data).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            id: appointment,
            member: expect.objectContaining({
              id: member.id,
              membershipNumber: member.membershipNumber,
              firstNames: 'Erased',
              surname: 'member',
            }),
          }),
        ]),
      );
      const positions = await http()
        .get(`/api/v1/members/${member.id}/positions`)
        .set(...bearer(admin))
        .expect(200);
      expect(positions.body).toHaveLength(1);

      // the erasure is audited without personal data; the data export shows the anonymised record
      expect(await auditRows(member.id, 'member.erased')).toEqual([
        { actor_user_id: admin.userId, province_code: 'GP' },
      ]);
      const exported = await http()
        .get(`/api/v1/members/${member.id}/data-export`)
        .set(...bearer(admin))
        .expect(200);
      expect(exported.body.member).toMatchObject({
        firstNames: 'Erased',
        anonymisedAt: expect.any(String),
      });

      // twice: 409; consent and objection on an erased member: 409
      const twice = await http()
        .post(`/api/v1/members/${member.id}/erasure`)
        .set(...bearer(admin))
        .expect(409);
      expect(twice.body).toMatchObject({ code: 'MEMBER_ERASED' });
      await http()
        .post(`/api/v1/members/${member.id}/objection`)
        .set(...bearer(admin))
        .send({ objects: true })
        .expect(409);
      const edit = await http()
        .patch(`/api/v1/members/${member.id}`)
        .set(...bearer(admin))
        .send({ version: (exported.body.member as { version: number }).version, surname: renamed })
        .expect(409);
      expect(edit.body).toMatchObject({ code: 'MEMBER_ERASED' });
      const reinstate = await http()
        .post(`/api/v1/members/${member.id}/status`)
        .set(...bearer(admin))
        .send({ action: 'reinstate', reason: 'Rejoined' })
        .expect(409);
      expect(reinstate.body).toMatchObject({ code: 'MEMBER_ERASED' });
    });

    it('erases a deceased member too', async () => {
      const member = await createMember(t.app, admin);
      await http()
        .post(`/api/v1/members/${member.id}/status`)
        .set(...bearer(admin))
        .send({ action: 'deceased', reason: 'Death certificate received' })
        .expect(200);
      await ageStatusChange(member.id, RETENTION_DAYS + 1);
      await http()
        .post(`/api/v1/members/${member.id}/erasure`)
        .set(...bearer(admin))
        .expect(200);
    });
  });

  it('documents each route with its permission in OpenAPI', async () => {
    const res = await http().get('/docs-json').expect(200);
    const paths = res.body.paths as Record<string, Record<string, Record<string, unknown>>>;
    for (const [path, method, permission] of [
      ['/api/v1/members/{id}/data-export', 'get', 'members:data_export'],
      ['/api/v1/members/{id}/consent', 'post', 'members:write'],
      ['/api/v1/members/{id}/objection', 'post', 'members:write'],
      ['/api/v1/members/{id}/erasure', 'post', 'members:erase'],
    ] as const) {
      expect(paths[path]?.[method]?.['x-required-permission']).toBe(permission);
    }
  });
});
