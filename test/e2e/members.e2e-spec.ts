import { bearer, createUser, loginAsSuperAdmin, Session } from '../harness/auth.js';
import { createMember, MemberBody, memberInput, validIdNumber, WARDS } from '../harness/members.js';
import { startTestContext, TestContext } from '../harness/test-app.js';

const today = (): string =>
  new Intl.DateTimeFormat('en-CA', { timeZone: 'Africa/Johannesburg' }).format(new Date());

function addMonths(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const first = new Date(Date.UTC(y, m - 1 + months, 1));
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  return new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), Math.min(d, last)))
    .toISOString()
    .slice(0, 10);
}

describe('members (e2e)', () => {
  let t: TestContext;
  let admin: Session;

  beforeAll(async () => {
    // real request logs (NODE_ENV=test silences them), so the last test can check what they carry
    t = await startTestContext({ NODE_ENV: 'development', LOG_LEVEL: 'info' });
    admin = await loginAsSuperAdmin(t.app);
  });
  afterAll(() => t?.close());

  const http = () => t.app.http();

  it('creates a member: derived identity, E.164 cell, denormalised ward chain, DB-assigned number', async () => {
    const res = await http()
      .post('/api/v1/members')
      .set(...bearer(admin))
      .send({
        idNumber: '8001015009087',
        firstNames: '  Julius   Sello ',
        surname: 'Malema',
        cellNumber: '082 123 4567',
        email: 'JS@Example.org',
        wardCode: WARDS.siblingDistrict,
        joinedOn: '2024-03-01',
        lastPaidOn: '2025-06-15',
      })
      .expect(201);
    expect(res.body).toMatchObject({
      idNumber: '8001015009087',
      firstNames: 'Julius Sello',
      dateOfBirth: '1980-01-01',
      gender: 'male',
      citizenship: 'citizen',
      cellNumber: '+27821234567',
      email: 'js@example.org',
      wardCode: '79800001',
      municipalityCode: 'JHB',
      districtCode: 'JHB',
      provinceCode: 'GP',
      joinedOn: '2024-03-01',
      lastPaidOn: '2025-06-15',
      expiresOn: '2027-06-15',
      status: 'active',
      version: 1,
    });
    expect(res.body.membershipNumber).toMatch(/^EFF2024\d{7}$/);
    const got = await http()
      .get(`/api/v1/members/${res.body.id}`)
      .set(...bearer(admin))
      .expect(200);
    expect(got.body).toEqual(res.body);
    const history = await http()
      .get(`/api/v1/members/${res.body.id}/history`)
      .set(...bearer(admin))
      .expect(200);
    expect(history.body.data).toHaveLength(1);
    expect(history.body.data[0]).toMatchObject({ kind: 'created', toStatus: 'active' });
  });

  it('defaults joinedOn to today and the membership to the configured 24 months', async () => {
    const m = await createMember(t.app, admin);
    expect(m.joinedOn).toBe(today());
    expect(m.lastPaidOn).toBe(today());
    expect(m.expiresOn).toBe(addMonths(today(), 24));
    expect(m.status).toBe('active');
  });

  it('derives the status of an old registration from its last payment', async () => {
    const grace = await createMember(t.app, admin, {
      joinedOn: '2020-01-01',
      lastPaidOn: addMonths(today(), -25),
    });
    expect(grace.status).toBe('grace_period');
    const expired = await createMember(t.app, admin, {
      joinedOn: '2019-01-01',
      lastPaidOn: '2021-01-01',
    });
    expect(expired.status).toBe('expired');
  });

  it('refuses a second member with the same ID number (409 DUPLICATE_ID_NUMBER)', async () => {
    const idNumber = validIdNumber();
    await createMember(t.app, admin, { idNumber });
    const res = await http()
      .post('/api/v1/members')
      .set(...bearer(admin))
      .send(memberInput({ idNumber }))
      .expect(409);
    expect(res.body.code).toBe('DUPLICATE_ID_NUMBER');
  });

  describe('list', () => {
    const created: MemberBody[] = [];
    const surnames = ['Zulu', 'Abrahams', 'Ndlovu', 'Botha', 'Mthembu', 'Cele', 'Khumalo'];

    beforeAll(async () => {
      for (const [i, surname] of surnames.entries()) {
        created.push(
          await createMember(t.app, admin, {
            surname,
            firstNames: `Listed ${i}`,
            wardCode: WARDS.siblingMunicipality,
            joinedOn: `2023-0${i + 1}-15`,
          }),
        );
      }
    });

    it('pages through a ward by surname with cursors, without gaps or repeats', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: { body: { data: MemberBody[]; nextCursor: string | null } } = await http()
          .get('/api/v1/members')
          .query({ wardCode: WARDS.siblingMunicipality, limit: 3, ...(cursor ? { cursor } : {}) })
          .set(...bearer(admin))
          .expect(200);
        expect(res.body.data.length).toBeLessThanOrEqual(3);
        seen.push(...res.body.data.map((m: MemberBody) => m.surname));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual([...surnames].sort());
    });

    it('sorts by -joinedOn and by -surname', async () => {
      const byJoined = await http()
        .get('/api/v1/members')
        .query({ wardCode: WARDS.siblingMunicipality, sort: '-joinedOn', limit: 2 })
        .set(...bearer(admin))
        .expect(200);
      expect(byJoined.body.data.map((m: MemberBody) => m.joinedOn)).toEqual([
        '2023-07-15',
        '2023-06-15',
      ]);
      const next = await http()
        .get('/api/v1/members')
        .query({
          wardCode: WARDS.siblingMunicipality,
          sort: '-joinedOn',
          limit: 2,
          cursor: byJoined.body.nextCursor,
        })
        .set(...bearer(admin))
        .expect(200);
      expect(next.body.data.map((m: MemberBody) => m.joinedOn)).toEqual([
        '2023-05-15',
        '2023-04-15',
      ]);
      const bySurname = await http()
        .get('/api/v1/members')
        .query({ wardCode: WARDS.siblingMunicipality, sort: '-surname', limit: 1 })
        .set(...bearer(admin))
        .expect(200);
      expect(bySurname.body.data[0].surname).toBe('Zulu');
    });

    it('searches by name, ID number, membership number and cell number', async () => {
      const target = created[2] as MemberBody;
      const byName = await http()
        .get('/api/v1/members')
        .query({ q: 'dlov' })
        .set(...bearer(admin))
        .expect(200);
      expect(byName.body.data.map((m: MemberBody) => m.id)).toEqual([target.id]);
      const byFullName = await http()
        .get('/api/v1/members')
        .query({ q: 'listed 2 ndlovu' })
        .set(...bearer(admin))
        .expect(200);
      expect(byFullName.body.data.map((m: MemberBody) => m.id)).toEqual([target.id]);
      const byId = await http()
        .get('/api/v1/members')
        .query({ q: target.idNumber })
        .set(...bearer(admin))
        .expect(200);
      expect(byId.body.data.map((m: MemberBody) => m.id)).toEqual([target.id]);
      const byNumber = await http()
        .get('/api/v1/members')
        .query({ q: target.membershipNumber.toLowerCase() })
        .set(...bearer(admin))
        .expect(200);
      expect(byNumber.body.data.map((m: MemberBody) => m.id)).toEqual([target.id]);
      const cell = await createMember(t.app, admin, { cellNumber: '0731112222' });
      const byCell = await http()
        .get('/api/v1/members')
        .query({ q: '073 111 2222' })
        .set(...bearer(admin))
        .expect(200);
      expect(byCell.body.data.map((m: MemberBody) => m.id)).toEqual([cell.id]);
    });

    it('filters by status, joined range and expiry range', async () => {
      const res = await http()
        .get('/api/v1/members')
        .query({
          wardCode: WARDS.siblingMunicipality,
          joinedFrom: '2023-02-01',
          joinedTo: '2023-03-31',
          sort: 'joinedOn',
        })
        .set(...bearer(admin))
        .expect(200);
      expect(res.body.data.map((m: MemberBody) => m.surname)).toEqual(['Abrahams', 'Ndlovu']);
      const expiring = await http()
        .get('/api/v1/members')
        .query({
          wardCode: WARDS.siblingMunicipality,
          expiresFrom: '2025-01-01',
          expiresTo: '2025-02-28',
          status: 'expired',
        })
        .set(...bearer(admin))
        .expect(200);
      expect(expiring.body.data.map((m: MemberBody) => m.surname).sort()).toEqual([
        'Abrahams',
        'Zulu',
      ]);
    });

    it('narrows to the caller’s area: a GP admin asking for LP gets an empty list', async () => {
      await createMember(t.app, admin, { wardCode: WARDS.otherProvince, surname: 'Limpopo' });
      const gp = await createUser(t.app, admin, 'provincial_admin', 'province', 'GP');
      const lp = await http()
        .get('/api/v1/members')
        .query({ provinceCode: 'LP' })
        .set(...bearer(gp))
        .expect(200);
      expect(lp.body).toEqual({ data: [], nextCursor: null });
      const all = await http()
        .get('/api/v1/members')
        .query({ limit: 100 })
        .set(...bearer(gp))
        .expect(200);
      expect(all.body.data.length).toBeGreaterThan(0);
      expect(all.body.data.every((m: MemberBody) => m.provinceCode === 'GP')).toBe(true);
    });
  });

  it('updates with the current version, refuses a stale one, and keeps the ward', async () => {
    const m = await createMember(t.app, admin);
    const ok = await http()
      .patch(`/api/v1/members/${m.id}`)
      .set(...bearer(admin))
      .send({ version: m.version, surname: 'Shivambu', cellNumber: '+27 72 000 1111' })
      .expect(200);
    expect(ok.body).toMatchObject({
      surname: 'Shivambu',
      cellNumber: '+27720001111',
      version: m.version + 1,
      wardCode: m.wardCode,
    });
    const stale = await http()
      .patch(`/api/v1/members/${m.id}`)
      .set(...bearer(admin))
      .send({ version: m.version, surname: 'Other' })
      .expect(409);
    expect(stale.body.code).toBe('VERSION_CONFLICT');
    const ward = await http()
      .patch(`/api/v1/members/${m.id}`)
      .set(...bearer(admin))
      .send({ version: ok.body.version, wardCode: WARDS.siblingWard })
      .expect(400);
    expect(ward.body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'wardCode', code: 'unknownProperty' }),
      ]),
    );
    const { rows } = await t.db.pool.query(
      `SELECT changes FROM audit_events WHERE entity_id = $1 AND action = 'member.updated'`,
      [m.id],
    );
    expect(rows[0].changes).toEqual({
      surname: { from: m.surname, to: 'Shivambu' },
      cellNumber: { from: '[REDACTED]', to: '[REDACTED]' },
    });
  });

  it('suspends, refuses invalid transitions, reinstates to the status the dates imply', async () => {
    const m = await createMember(t.app, admin);
    const suspended = await http()
      .post(`/api/v1/members/${m.id}/status`)
      .set(...bearer(admin))
      .send({ action: 'suspend', reason: 'Disciplinary hearing' })
      .expect(200);
    expect(suspended.body.status).toBe('suspended');
    const again = await http()
      .post(`/api/v1/members/${m.id}/status`)
      .set(...bearer(admin))
      .send({ action: 'suspend', reason: 'Twice' })
      .expect(409);
    expect(again.body.code).toBe('INVALID_STATUS_TRANSITION');
    const renewal = await http()
      .post(`/api/v1/members/${m.id}/renewals`)
      .set(...bearer(admin))
      .send({ reason: 'Manual renewal in test', paidOn: today(), reference: `SUSP-${m.id}` })
      .expect(409);
    expect(renewal.body.code).toBe('INVALID_STATUS_TRANSITION');
    const reinstated = await http()
      .post(`/api/v1/members/${m.id}/status`)
      .set(...bearer(admin))
      .send({ action: 'reinstate', reason: 'Hearing cleared' })
      .expect(200);
    expect(reinstated.body.status).toBe('active');
    await http()
      .post(`/api/v1/members/${m.id}/status`)
      .set(...bearer(admin))
      .send({ action: 'deceased', reason: 'Death certificate' })
      .expect(200);
    const dead = await http()
      .post(`/api/v1/members/${m.id}/status`)
      .set(...bearer(admin))
      .send({ action: 'reinstate', reason: 'No' })
      .expect(409);
    expect(dead.body.code).toBe('INVALID_STATUS_TRANSITION');
    const history = await http()
      .get(`/api/v1/members/${m.id}/history`)
      .query({ order: 'asc' })
      .set(...bearer(admin))
      .expect(200);
    expect(
      history.body.data.map((h: { kind: string; toStatus: string | null }) => h.toStatus),
    ).toEqual(['active', 'suspended', 'active', 'deceased']);
  });

  it('renews: 24 months from the payment, re-activates an expired member, unique references', async () => {
    const m = await createMember(t.app, admin, {
      joinedOn: '2019-01-01',
      lastPaidOn: '2021-01-01',
    });
    expect(m.status).toBe('expired');
    const paidOn = today();
    const renewed = await http()
      .post(`/api/v1/members/${m.id}/renewals`)
      .set(...bearer(admin))
      .send({ reason: 'Manual renewal in test', paidOn, reference: `PAY-${m.id}` })
      .expect(201);
    expect(renewed.body).toMatchObject({
      status: 'active',
      lastPaidOn: paidOn,
      expiresOn: addMonths(paidOn, 24),
    });
    const { rows } = await t.db.pool.query(
      'SELECT amount_cents FROM member_renewals WHERE member_id = $1',
      [m.id],
    );
    expect(rows).toEqual([{ amount_cents: 1000 }]);
    const duplicate = await http()
      .post(`/api/v1/members/${m.id}/renewals`)
      .set(...bearer(admin))
      .send({
        reason: 'Manual renewal in test',
        paidOn,
        reference: `PAY-${m.id}`,
        amountCents: 1000,
      })
      .expect(409);
    expect(duplicate.body.code).toBe('CONFLICT');
  });

  it('transfers inside the caller’s area, keeps history, refuses a destination outside it', async () => {
    const jhb = await createUser(t.app, admin, 'regional_admin', 'district', 'JHB');
    const m = await createMember(t.app, admin, { wardCode: WARDS.siblingDistrict });
    const moved = await http()
      .post(`/api/v1/members/${m.id}/transfer`)
      .set(...bearer(jhb))
      .send({ toWardCode: '79800002', reason: 'Moved house' })
      .expect(200);
    expect(moved.body).toMatchObject({
      wardCode: '79800002',
      districtCode: 'JHB',
      provinceCode: 'GP',
    });
    const outside = await http()
      .post(`/api/v1/members/${m.id}/transfer`)
      .set(...bearer(jhb))
      .send({ toWardCode: WARDS.own })
      .expect(403);
    expect(outside.body.code).toBe('FORBIDDEN');
    const national = await http()
      .post(`/api/v1/members/${m.id}/transfer`)
      .set(...bearer(admin))
      .send({ toWardCode: WARDS.otherProvince })
      .expect(200);
    expect(national.body).toMatchObject({
      wardCode: WARDS.otherProvince,
      municipalityCode: 'LIM476',
      districtCode: 'DC47',
      provinceCode: 'LP',
    });
    // now outside the JHB admin's area: not even visible
    await http()
      .get(`/api/v1/members/${m.id}`)
      .set(...bearer(jhb))
      .expect(404);
    const { rows } = await t.db.pool.query(
      'SELECT from_ward_code, to_ward_code FROM member_transfers WHERE member_id = $1 ORDER BY transferred_at',
      [m.id],
    );
    expect(rows).toEqual([
      { from_ward_code: '79800001', to_ward_code: '79800002' },
      { from_ward_code: '79800002', to_ward_code: WARDS.otherProvince },
    ]);
  });

  it('pages the history', async () => {
    const m = await createMember(t.app, admin);
    let version = m.version;
    for (let i = 0; i < 4; i += 1) {
      const res = await http()
        .patch(`/api/v1/members/${m.id}`)
        .set(...bearer(admin))
        .send({ version, firstNames: `Name ${i}` })
        .expect(200);
      version = res.body.version;
    }
    const first = await http()
      .get(`/api/v1/members/${m.id}/history`)
      .query({ limit: 3 })
      .set(...bearer(admin))
      .expect(200);
    expect(first.body.data).toHaveLength(3);
    const second = await http()
      .get(`/api/v1/members/${m.id}/history`)
      .query({ limit: 3, cursor: first.body.nextCursor })
      .set(...bearer(admin))
      .expect(200);
    expect(second.body.data.map((h: { kind: string }) => h.kind)).toEqual(['updated', 'created']);
    expect(second.body.nextCursor).toBeNull();
  });

  it('never writes ID numbers or cell numbers into the logs', async () => {
    await http()
      .get('/api/v1/members')
      .query({ q: '8001015009087' })
      .set(...bearer(admin))
      .expect(200);
    await http()
      .get('/api/v1/members')
      .query({ q: '0821234567' })
      .set(...bearer(admin))
      .expect(200);
    const output = t.app.output();
    expect(output).toContain('/api/v1/members');
    for (const secret of ['8001015009087', '821234567', '12 Vilakazi']) {
      expect(output).not.toContain(secret);
    }
  });
});
