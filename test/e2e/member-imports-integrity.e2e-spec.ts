import { bearer, createUser, loginAsSuperAdmin, Session, TestUser } from '../harness/auth.js';
import { createMember, MemberBody, validIdNumber, WARDS } from '../harness/members.js';
import { startTestContext, TestContext } from '../harness/test-app.js';

interface Job {
  id: string;
  status: string;
  insertedRows: number;
  updatedRows: number;
  rejectedRows: number;
  validRows: number;
}

function csv(rows: string[][]): Buffer {
  return Buffer.from(rows.map((r) => r.join(',')).join('\n'));
}

const recent = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
const HEADER = [
  'ID Number',
  'First Names',
  'Surname',
  'Cell Number',
  'Residential Address',
  'Ward Code',
  'Last Paid On',
];

describe('#15.6 import upsert rewrites members without history, audit or payment', () => {
  let t: TestContext;
  let admin: Session;
  let gp: TestUser;
  /** Paid in 2021: expired. */
  let expired: MemberBody;
  let plain: MemberBody;
  let same: MemberBody;

  beforeAll(async () => {
    t = await startTestContext({ IMPORT_BATCH_SIZE: '2' });
    admin = await loginAsSuperAdmin(t.app);
    gp = await createUser(t.app, admin, 'provincial_admin', 'province', 'GP');
    expired = await createMember(t.app, admin, {
      wardCode: WARDS.own,
      joinedOn: '2021-01-01',
      lastPaidOn: '2021-01-01',
    });
    plain = await createMember(t.app, admin, {
      wardCode: WARDS.siblingWard,
      joinedOn: '2021-01-01',
      lastPaidOn: '2021-01-01',
      residentialAddress: '1 Old Road, Soweto',
    });
    same = await createMember(t.app, admin, { wardCode: WARDS.own });
  });
  afterAll(() => t?.close());

  const http = () => t.app.http();

  async function importFile(rows: string[][], mode: string, as: Session = gp): Promise<Job> {
    const res = await http()
      .post('/api/v1/members/imports')
      .set(...bearer(as))
      .field('mode', mode)
      .attach('file', csv([HEADER, ...rows]), 'register.csv');
    expect(res.status).toBe(202);
    for (let i = 0; i < 300; i += 1) {
      const job = await http()
        .get(`/api/v1/members/imports/${res.body.id}`)
        .set(...bearer(as))
        .expect(200);
      if (job.body.status === 'completed' || job.body.status === 'failed') return job.body as Job;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('import did not finish');
  }

  async function memberRow(id: string): Promise<Record<string, unknown>> {
    const { rows } = await t.db.pool.query(
      `SELECT first_names, cell_number, residential_address, status, version,
         to_char(last_paid_on, 'YYYY-MM-DD') AS last_paid_on, to_char(expires_on, 'YYYY-MM-DD') AS expires_on
       FROM members WHERE id = $1`,
      [id],
    );
    return rows[0] as Record<string, unknown>;
  }

  it('an upsert never moves the payment date: an expired member stays expired (the row is rejected with its reason)', async () => {
    const before = await memberRow(expired.id);
    expect(before).toMatchObject({ status: 'expired', last_paid_on: '2021-01-01' });
    const job = await importFile(
      [[expired.idNumber, 'Stacked', 'Member', '', '', WARDS.own, recent]],
      'upsert',
    );
    expect(job).toMatchObject({ status: 'completed', updatedRows: 0, rejectedRows: 1 });
    expect(await memberRow(expired.id)).toEqual(before);
    const renewals = await t.db.pool.query(
      'SELECT count(*)::int AS n FROM member_renewals WHERE member_id = $1',
      [expired.id],
    );
    expect(renewals.rows).toEqual([{ n: 0 }]);
    const report = await http()
      .get(`/api/v1/members/imports/${job.id}/report?format=csv`)
      .set(...bearer(gp))
      .expect(200);
    expect(report.text).toContain(
      'lastPaidOn: an import cannot change the payment date (2021-01-01 on record); record the payment as a renewal with its reference',
    );
  });

  it('every member an upsert changes gets a masked history entry and an audit event with the uploader', async () => {
    const job = await importFile(
      [
        // Same payment date as on record: allowed; names, cell and address change.
        [
          plain.idNumber,
          'Renamed',
          plain.surname,
          '0835550000',
          '2 New Street',
          WARDS.siblingWard,
          '2021-01-01',
        ],
        // Nothing changes: no history, no audit, not counted as updated.
        [same.idNumber, same.firstNames, same.surname, '', '', WARDS.own, ''],
      ],
      'upsert',
    );
    expect(job).toMatchObject({
      status: 'completed',
      updatedRows: 1,
      rejectedRows: 0,
      validRows: 2,
    });
    expect(await memberRow(plain.id)).toMatchObject({
      first_names: 'Renamed',
      cell_number: '+27835550000',
      residential_address: '2 New Street',
      status: 'expired',
      last_paid_on: '2021-01-01',
      version: 2,
    });
    const history = await http()
      .get(`/api/v1/members/${plain.id}/history`)
      .set(...bearer(gp))
      .expect(200);
    const updated = history.body.data.filter((h: { kind: string }) => h.kind === 'updated');
    expect(updated).toEqual([
      expect.objectContaining({
        actorUserId: gp.userId,
        details: {
          importId: job.id,
          changes: {
            firstNames: { from: plain.firstNames, to: 'Renamed' },
            cellNumber: { from: '[REDACTED]', to: '[REDACTED]' },
            residentialAddress: { from: '[REDACTED]', to: '[REDACTED]' },
          },
        },
      }),
    ]);
    const audit = await t.db.pool.query(
      `SELECT action, actor_user_id, province_code, changes FROM audit_events
       WHERE entity_type = 'member' AND entity_id = $1 AND action = 'member.updated'`,
      [plain.id],
    );
    expect(audit.rows).toEqual([
      {
        action: 'member.updated',
        actor_user_id: gp.userId,
        province_code: 'GP',
        changes: updated[0].details.changes,
      },
    ]);
    expect(JSON.stringify(audit.rows)).not.toMatch(/835550000|New Street/);
    const untouched = await t.db.pool.query(
      `SELECT (SELECT count(*) FROM member_history WHERE member_id = $1 AND kind = 'updated')::int AS history,
              (SELECT count(*) FROM audit_events WHERE entity_id = $1::text AND action = 'member.updated')::int AS audit,
              (SELECT version FROM members WHERE id = $1) AS version`,
      [same.id],
    );
    expect(untouched.rows).toEqual([{ history: 0, audit: 0, version: 1 }]);
  });

  /** The members.imported audit events of an import: one per batch and province. */
  async function importedEvents(importId: string) {
    const { rows } = await t.db.pool.query<{
      entity_type: string;
      entity_id: string | null;
      province_code: string;
      actor_user_id: string;
      changes: { importId: string; count: number; ids: string[] };
    }>(
      `SELECT entity_type, entity_id, province_code, actor_user_id, changes FROM audit_events
       WHERE action = 'members.imported' AND changes ->> 'importId' = $1 ORDER BY id`,
      [importId],
    );
    return rows;
  }

  it('members an import creates get their own creation history, and one members.imported audit event per batch with their ids', async () => {
    const ids = [validIdNumber(), validIdNumber(), validIdNumber()];
    const job = await importFile(
      ids.map((id, i) => [id, `New ${i}`, 'Member', '0821230000', '3 Main Road', WARDS.own, '']),
      'create',
    );
    expect(job).toMatchObject({ status: 'completed', insertedRows: 3 });
    const { rows } = await t.db.pool.query(
      `SELECT m.id, m.membership_number, h.kind, h.details, h.actor_user_id AS history_actor
       FROM members m
       JOIN member_history h ON h.member_id = m.id
       WHERE m.id_number = ANY($1) ORDER BY m.id_number`,
      [ids],
    );
    expect(rows).toHaveLength(3);
    for (const r of rows) {
      expect(r).toMatchObject({
        kind: 'created',
        details: { membershipNumber: r.membership_number, wardCode: WARDS.own, importId: job.id },
        history_actor: gp.userId,
      });
    }
    const memberIds = rows.map((r) => r.id as string);
    const { rows: perMember } = await t.db.pool.query(
      `SELECT 1 FROM audit_events WHERE entity_type = 'member' AND entity_id = ANY($1)`,
      [memberIds],
    );
    expect(perMember).toEqual([]);
    // IMPORT_BATCH_SIZE=2: two batches, so two events, together naming each member once.
    const events = await importedEvents(job.id);
    expect(events).toHaveLength(2);
    for (const e of events) {
      expect(e).toMatchObject({
        entity_type: 'member',
        entity_id: null,
        province_code: 'GP',
        actor_user_id: gp.userId,
      });
      expect(e.changes.count).toBe(e.changes.ids.length);
    }
    expect(events.flatMap((e) => e.changes.ids).sort()).toEqual([...memberIds].sort());
    const all = await t.db.pool.query(
      `SELECT h.details::text || a.changes::text AS text FROM member_history h, audit_events a
       WHERE h.member_id = ANY($1) AND a.action = 'members.imported' AND a.changes ->> 'importId' = $2`,
      [memberIds, job.id],
    );
    expect(JSON.stringify(all.rows)).not.toMatch(
      new RegExp(`${ids.join('|')}|821230000|Main Road`),
    );

    // The member's data export lists the import that created it.
    const exported = await http()
      .get(`/api/v1/members/${memberIds[0]}/data-export`)
      .set(...bearer(gp))
      .expect(200);
    expect(exported.body.accessLog).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: 'members.imported',
          entityType: 'member',
          entityId: null,
          actorUserId: gp.userId,
        }),
      ]),
    );
  });

  it('a national import writes one members.imported event per province of a batch', async () => {
    const ids = [validIdNumber(), validIdNumber()];
    const job = await importFile(
      [
        [ids[0]!, 'Gauteng', 'Member', '', '', WARDS.own, ''],
        [ids[1]!, 'Limpopo', 'Member', '', '', WARDS.otherProvince, ''],
      ],
      'create',
      admin,
    );
    expect(job).toMatchObject({ status: 'completed', insertedRows: 2 });
    const { rows } = await t.db.pool.query<{ id: string; province_code: string }>(
      'SELECT id, province_code FROM members WHERE id_number = ANY($1)',
      [ids],
    );
    const events = await importedEvents(job.id);
    expect(
      events
        .map((e) => ({ province: e.province_code, ids: e.changes.ids }))
        .sort((a, b) => a.province.localeCompare(b.province)),
    ).toEqual(
      ['GP', 'LP'].map((province) => ({
        province,
        ids: rows.filter((r) => r.province_code === province).map((r) => r.id),
      })),
    );

    // A Limpopo member's export, as a GP admin could not ask for it, is the national admin's: it lists the import.
    const lpMember = rows.find((r) => r.province_code === 'LP')!;
    const exported = await http()
      .get(`/api/v1/members/${lpMember.id}/data-export`)
      .set(...bearer(admin))
      .expect(200);
    const imported = (exported.body.accessLog as { action: string }[]).filter(
      (e) => e.action === 'members.imported',
    );
    expect(imported).toHaveLength(1);
  });
});
