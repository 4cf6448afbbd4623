import { Socket } from 'socket.io-client';
import { bearer, createUser, loginAsSuperAdmin, Session } from '../harness/auth.js';
import { insertAppointment, positionId, structureId } from '../harness/leadership-fixtures.js';
import { createMember, MemberBody, WARDS } from '../harness/members.js';
import { memberSession } from '../harness/portal.js';
import { connectRealtime, nextEvent } from '../harness/realtime.js';
import { startTestContext, TestContext } from '../harness/test-app.js';

const FROM = WARDS.own; // GT421, DC42, GP
const TO = WARDS.siblingMunicipality; // GT422, DC42, GP

interface RequestBody {
  id: string;
  status: string;
  memberId: string;
  fromWardCode: string;
  toWardCode: string;
  reason?: string;
  decisionReason: string | null;
  canDecide?: boolean;
  member?: Record<string, unknown>;
}

/**
 * The member portal's transfer requests, leadership positions and renewal (PayFast not configured here: the
 * renewal intent). A member asks to move; only admins whose area covers the DESTINATION ward decide; the source
 * area reads; anyone else gets 404. Approval moves the member through the members' own transfer.
 */
describe('member portal: transfer requests, positions, renewal intent (e2e)', () => {
  let t: TestContext;
  let admin: Session;
  let sourceAdmin: Session; // ward admin of FROM
  let destAdmin: Session; // ward admin of TO
  let destSubregional: Session; // GT422 covers TO
  let outsideAdmin: Session; // LP
  const sockets: Socket[] = [];

  const http = () => t.app.http();

  beforeAll(async () => {
    t = await startTestContext({
      STATUS_RECALC_CRON: 'off',
      AUTH_THROTTLE_LIMIT: '1000',
      MEMBER_RETENTION_DAYS: '0',
    });
    admin = await loginAsSuperAdmin(t.app);
    sourceAdmin = await createUser(t.app, admin, 'ward_admin', 'ward', FROM);
    destAdmin = await createUser(t.app, admin, 'ward_admin', 'ward', TO);
    destSubregional = await createUser(t.app, admin, 'subregional_admin', 'municipality', 'GT422');
    outsideAdmin = await createUser(t.app, admin, 'provincial_admin', 'province', 'LP');
  }, 120_000);
  afterAll(async () => {
    for (const s of sockets) s.close();
    await t?.close();
  });

  async function memberWithSession(
    overrides: Record<string, unknown> = {},
  ): Promise<{ member: MemberBody; session: Session }> {
    const member = await createMember(t.app, admin, { wardCode: FROM, ...overrides });
    return { member, session: await memberSession(t.app, admin, member.id, FROM) };
  }

  const ask = (session: Session, body: Record<string, unknown>) =>
    http()
      .post('/api/v1/me/transfer-requests')
      .set(...bearer(session))
      .send(body);

  async function pendingRequest(session: Session): Promise<RequestBody> {
    const res = await ask(session, { toWardCode: TO, reason: 'Moved house' });
    expect(res.status).toBe(201);
    return res.body as RequestBody;
  }

  const decide = (session: Session, id: string, action: 'approve' | 'reject', reason?: string) =>
    http()
      .post(`/api/v1/transfer-requests/${id}/${action}`)
      .set(...bearer(session))
      .send(reason === undefined ? {} : { reason });

  async function memberRow(id: string) {
    const { rows } = await t.db.pool.query<{
      ward_code: string;
      municipality_code: string;
      transfers: number;
      moved: number;
    }>(
      `SELECT m.ward_code, m.municipality_code,
              (SELECT count(*) FROM member_transfers WHERE member_id = m.id)::int AS transfers,
              (SELECT count(*) FROM member_history WHERE member_id = m.id AND kind = 'transferred')::int AS moved
         FROM members m WHERE m.id = $1`,
      [id],
    );
    return rows[0];
  }

  async function auditActions(memberId: string): Promise<string[]> {
    const { rows } = await t.db.pool.query<{ action: string }>(
      `SELECT action FROM audit_events WHERE entity_type = 'member' AND entity_id = $1
          AND action LIKE 'member.transfer%' ORDER BY occurred_at, action`,
      [memberId],
    );
    return rows.map((r) => r.action);
  }

  it('member asks → destination ward admin approves → the member moved, with history, audit and the event', async () => {
    const { member, session } = await memberWithSession();
    const socket = await connectRealtime(t.app, { token: destAdmin.accessToken });
    sockets.push(socket);

    const request = await pendingRequest(session);
    expect(request).toMatchObject({
      status: 'pending',
      memberId: member.id,
      fromWardCode: FROM,
      toWardCode: TO,
    });
    // one open request per member
    const twice = await ask(session, { toWardCode: WARDS.siblingWard, reason: 'Again' });
    expect(twice.status).toBe(409);
    expect(twice.body).toMatchObject({ code: 'CONFLICT', requestId: request.id });
    const mine = await http()
      .get('/api/v1/me/transfer-requests')
      .set(...bearer(session))
      .expect(200);
    expect((mine.body as RequestBody[]).map((r) => r.id)).toEqual([request.id]);

    // the destination's admin sees it as decidable, with who asked but no ID number or contacts
    const incoming = await http()
      .get('/api/v1/transfer-requests?status=pending&direction=incoming')
      .set(...bearer(destAdmin))
      .expect(200);
    const listed = (incoming.body.data as RequestBody[]).find((r) => r.id === request.id);
    expect(listed).toMatchObject({ canDecide: true, member: { id: member.id } });
    expect(listed?.member).toEqual({
      id: member.id,
      membershipNumber: member.membershipNumber,
      firstNames: member.firstNames,
      surname: member.surname,
      status: member.status,
    });
    expect(JSON.stringify(incoming.body)).not.toContain(member.idNumber);

    // the source area reads it but cannot decide
    const outgoing = await http()
      .get('/api/v1/transfer-requests?status=pending')
      .set(...bearer(sourceAdmin))
      .expect(200);
    expect((outgoing.body.data as RequestBody[]).find((r) => r.id === request.id)).toMatchObject({
      canDecide: false,
    });
    await http()
      .get('/api/v1/transfer-requests?direction=incoming')
      .set(...bearer(sourceAdmin))
      .expect(200)
      .expect((res) =>
        expect((res.body.data as RequestBody[]).some((r) => r.id === request.id)).toBe(false),
      );
    expect((await decide(sourceAdmin, request.id, 'approve')).status).toBe(403);
    expect((await decide(sourceAdmin, request.id, 'reject', 'No')).status).toBe(403);

    // outside both areas: 404 everywhere, and not listed
    await http()
      .get(`/api/v1/transfer-requests/${request.id}`)
      .set(...bearer(outsideAdmin))
      .expect(404);
    expect((await decide(outsideAdmin, request.id, 'approve')).status).toBe(404);
    expect((await decide(outsideAdmin, request.id, 'reject', 'No')).status).toBe(404);
    const outside = await http()
      .get('/api/v1/transfer-requests')
      .set(...bearer(outsideAdmin))
      .expect(200);
    expect((outside.body.data as RequestBody[]).some((r) => r.id === request.id)).toBe(false);
    // a member never reaches the admin routes
    await http()
      .get('/api/v1/transfer-requests')
      .set(...bearer(session))
      .expect(403);
    expect((await decide(session, request.id, 'approve')).status).toBe(403);
    expect(await memberRow(member.id)).toMatchObject({ ward_code: FROM, transfers: 0 });

    const event = nextEvent<{ data: Record<string, unknown> }>(socket, 'member.transferred', 5000);
    const approved = await decide(destAdmin, request.id, 'approve', 'Welcome to the branch');
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      status: 'approved',
      decisionReason: 'Welcome to the branch',
      canDecide: false,
    });
    expect((await event).data).toMatchObject({
      memberId: member.id,
      fromWardCode: FROM,
      toWardCode: TO,
    });

    expect(await memberRow(member.id)).toEqual({
      ward_code: TO,
      municipality_code: 'GT422',
      transfers: 1,
      moved: 1,
    });
    expect(await auditActions(member.id)).toEqual(
      expect.arrayContaining([
        'member.transfer_requested',
        'member.transfer_approved',
        'member.transferred',
      ]),
    );
    const { rows: users } = await t.db.pool.query<{ scope_code: string; ward_code: string }>(
      'SELECT scope_code, ward_code FROM users WHERE member_id = $1',
      [member.id],
    );
    expect(users).toEqual([{ scope_code: TO, ward_code: TO }]);

    const me = await http()
      .get('/api/v1/me/membership')
      .set(...bearer(session))
      .expect(200);
    expect(me.body.ward).toMatchObject({ code: TO });
    const after = await http()
      .get('/api/v1/me/transfer-requests')
      .set(...bearer(session))
      .expect(200);
    expect(after.body[0]).toMatchObject({ id: request.id, status: 'approved' });
    // decided once: a second decision is 409, and the source admin no longer sees the member
    const again = await decide(destAdmin, request.id, 'approve');
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('INVALID_STATUS_TRANSITION');
    await http()
      .get(`/api/v1/members/${member.id}`)
      .set(...bearer(sourceAdmin))
      .expect(404);
    await http()
      .get(`/api/v1/members/${member.id}`)
      .set(...bearer(destAdmin))
      .expect(200);
  });

  it('refuses bad requests with clear problems and nothing written', async () => {
    const { member, session } = await memberWithSession();
    const same = await ask(session, { toWardCode: FROM, reason: 'Same' });
    expect(same.status).toBe(422);
    expect(same.body.errors).toEqual([
      expect.objectContaining({ field: 'toWardCode', code: 'sameWard' }),
    ]);
    const unknown = await ask(session, { toWardCode: '99999999', reason: 'Nowhere' });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors).toEqual([
      expect.objectContaining({ field: 'toWardCode', code: 'unknownWard' }),
    ]);
    expect((await ask(session, { toWardCode: '123', reason: 'x' })).status).toBe(400);
    expect((await ask(session, { toWardCode: TO })).status).toBe(400);
    expect((await ask(session, { toWardCode: TO, reason: '   ' })).status).toBe(400);
    expect((await ask(session, { toWardCode: TO, reason: 'x', memberId: member.id })).status).toBe(
      400,
    );
    // an admin has no portal; a member account without a member has no membership
    expect((await ask(destAdmin, { toWardCode: TO, reason: 'x' })).status).toBe(403);
    const unlinked = await createUser(t.app, admin, 'member', 'ward', FROM);
    expect((await ask(unlinked, { toWardCode: TO, reason: 'x' })).status).toBe(404);
    await http()
      .post('/api/v1/transfer-requests/not-a-uuid/approve')
      .set(...bearer(destAdmin))
      .send({})
      .expect(400);
    await http()
      .get('/api/v1/transfer-requests?cursor=bogus!')
      .set(...bearer(destAdmin))
      .expect(400);
    const { rows } = await t.db.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM member_transfer_requests WHERE member_id = $1',
      [member.id],
    );
    expect(rows[0]?.n).toBe(0);
    // a suspended member may still ask; a deceased one may not
    await http()
      .post(`/api/v1/members/${member.id}/status`)
      .set(...bearer(admin))
      .send({ action: 'deceased', reason: 'Passed away' })
      .expect(200);
    const dead = await ask(session, { toWardCode: TO, reason: 'x' });
    expect([dead.status, dead.body.code]).toEqual([409, 'INVALID_STATUS_TRANSITION']);
  });

  it('reject (reason required) leaves the member unchanged; the member may cancel only their own pending request', async () => {
    const { member, session } = await memberWithSession();
    const other = await memberWithSession();
    const request = await pendingRequest(session);
    expect((await decide(destAdmin, request.id, 'reject')).status).toBe(400);
    expect((await decide(destAdmin, request.id, 'reject', '  ')).status).toBe(400);
    const rejected = await decide(destAdmin, request.id, 'reject', 'Not resident in the ward');
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({
      status: 'rejected',
      decisionReason: 'Not resident in the ward',
    });
    expect(await memberRow(member.id)).toMatchObject({ ward_code: FROM, transfers: 0, moved: 0 });

    // decided requests do not block a new one
    const second = await pendingRequest(session);
    const cancelAs = (s: Session, id: string) =>
      http()
        .post(`/api/v1/me/transfer-requests/${id}/cancel`)
        .set(...bearer(s));
    expect((await cancelAs(other.session, second.id)).status).toBe(404);
    const cancelled = await cancelAs(session, second.id);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ id: second.id, status: 'cancelled' });
    expect((await cancelAs(session, second.id)).status).toBe(409);
    expect((await decide(destAdmin, second.id, 'approve')).status).toBe(409);
    expect(await memberRow(member.id)).toMatchObject({ ward_code: FROM, transfers: 0 });
    expect(await auditActions(member.id)).toEqual(
      expect.arrayContaining([
        'member.transfer_requested',
        'member.transfer_rejected',
        'member.transfer_cancelled',
      ]),
    );
    expect(await auditActions(member.id)).not.toContain('member.transfer_approved');
  });

  it('concurrent approvals and rejections: exactly one decision wins, and the member moves at most once', async () => {
    for (let round = 0; round < 3; round += 1) {
      const { member, session } = await memberWithSession();
      const request = await pendingRequest(session);
      const results = await Promise.all([
        decide(destAdmin, request.id, 'approve'),
        decide(destSubregional, request.id, 'approve'),
        decide(destAdmin, request.id, 'reject', 'Race A'),
        decide(destSubregional, request.id, 'reject', 'Race B'),
      ]);
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 409, 409, 409]);
      const winner = results.find((r) => r.status === 200);
      const row = await memberRow(member.id);
      if (winner?.body.status === 'approved')
        expect(row).toMatchObject({ ward_code: TO, transfers: 1, moved: 1 });
      else expect(row).toMatchObject({ ward_code: FROM, transfers: 0, moved: 0 });
      const { rows } = await t.db.pool.query<{ status: string }>(
        'SELECT status::text FROM member_transfer_requests WHERE id = $1',
        [request.id],
      );
      expect(rows[0]?.status).toBe(winner?.body.status);
    }
  });

  it('lists with the shared keyset pagination, scoped', async () => {
    for (let i = 0; i < 3; i += 1) await pendingRequest((await memberWithSession()).session);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await http()
        .get('/api/v1/transfer-requests')
        .query({ status: 'pending', limit: 2, ...(cursor ? { cursor } : {}) })
        .set(...bearer(destSubregional))
        .expect(200);
      const page = res.body as { data: RequestBody[]; nextCursor: string | null };
      expect(page.data.length).toBeLessThanOrEqual(2);
      for (const r of page.data) {
        expect(r.status).toBe('pending');
        expect(r.toWardCode).toBe(TO);
      }
      seen.push(...page.data.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor);
    const { rows } = await t.db.pool.query<{ id: string }>(
      `SELECT id FROM member_transfer_requests WHERE status = 'pending' AND municipality_code = 'GT422'
        ORDER BY created_at DESC, id DESC`,
    );
    expect(seen).toEqual(rows.map((r) => r.id));
    expect(seen.length).toBeGreaterThanOrEqual(3);
  });

  it('the POPIA data export lists the requests; erasure blanks their free-text reasons', async () => {
    const { member, session } = await memberWithSession();
    const first = await pendingRequest(session);
    await decide(destAdmin, first.id, 'reject', 'Lives at 12 Long Street').then((r) =>
      expect(r.status).toBe(200),
    );
    await ask(session, { toWardCode: TO, reason: 'Moved to 7 Short Road' }).then((r) =>
      expect(r.status).toBe(201),
    );
    const exported = await http()
      .get(`/api/v1/members/${member.id}/data-export`)
      .set(...bearer(admin))
      .expect(200);
    expect(
      (exported.body.transferRequests as RequestBody[]).map((r) => [r.status, r.reason]),
    ).toEqual([
      ['rejected', 'Moved house'],
      ['pending', 'Moved to 7 Short Road'],
    ]);

    await http()
      .post(`/api/v1/members/${member.id}/status`)
      .set(...bearer(admin))
      .send({ action: 'cancel', reason: 'Resigned' })
      .expect(200);
    const erased = await http()
      .post(`/api/v1/members/${member.id}/erasure`)
      .set(...bearer(admin));
    expect(erased.status).toBe(200);
    const { rows } = await t.db.pool.query<{ reason: string; decision_reason: string | null }>(
      `SELECT reason, decision_reason FROM member_transfer_requests WHERE member_id = $1
        ORDER BY created_at`,
      [member.id],
    );
    expect(rows).toEqual([
      { reason: '(erased)', decision_reason: '(erased)' },
      { reason: '(erased)', decision_reason: null },
    ]);
  });

  it('/me/membership lists my current and past leadership positions, and nobody else', async () => {
    const { member, session } = await memberWithSession();
    const colleague = await createMember(t.app, admin, { wardCode: FROM });
    const bct = await structureId(t.db.pool, 'bct', FROM);
    await insertAppointment(t.db.pool, {
      structureId: bct,
      positionId: await positionId(t.db.pool, 'bct', 'secretary'),
      memberId: member.id,
      startsOn: '2020-01-01',
      endsOn: '2022-01-01',
    });
    const current = await insertAppointment(t.db.pool, {
      structureId: bct,
      positionId: await positionId(t.db.pool, 'bct', 'chairperson'),
      memberId: member.id,
      startsOn: '2024-01-01',
    });
    await insertAppointment(t.db.pool, {
      structureId: bct,
      positionId: await positionId(t.db.pool, 'bct', 'treasurer'),
      memberId: colleague.id,
      startsOn: '2024-01-01',
    });
    const me = await http()
      .get('/api/v1/me/membership')
      .set(...bearer(session))
      .expect(200);
    const positions = me.body.positions as {
      id: string;
      current: boolean;
      position: { code: string };
      structure: { kind: string; areaCode: string };
      endsOn: string | null;
    }[];
    expect(positions.map((p) => [p.position.code, p.current, p.endsOn])).toEqual([
      ['chairperson', true, null],
      ['secretary', false, '2022-01-01'],
    ]);
    expect(positions[0]).toMatchObject({ id: current, structure: { kind: 'bct', areaCode: FROM } });
    const text = JSON.stringify(me.body);
    expect(text).not.toContain(colleague.id);
    expect(text).not.toContain(colleague.surname);
  });

  it('renewal without a card gateway: a 202 renewal intent (no payment), reused; only active/grace/expired renew', async () => {
    const { member, session } = await memberWithSession({
      joinedOn: '2022-03-01',
      lastPaidOn: '2022-03-01',
    });
    expect(member.status).toBe('expired');
    const first = await http()
      .post('/api/v1/me/renewals/checkout')
      .set(...bearer(session));
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({
      intent: { amountCents: 1000 },
      message: expect.stringContaining('Card payments are not available'),
    });
    const second = await http()
      .post('/api/v1/me/renewals/checkout')
      .set(...bearer(session));
    expect(second.status).toBe(202);
    expect(second.body.intent.id).toBe(first.body.intent.id);
    const { rows } = await t.db.pool.query<{ intents: number; payments: number; audit: number }>(
      `SELECT (SELECT count(*) FROM renewal_intents WHERE member_id = $1::uuid)::int AS intents,
              (SELECT count(*) FROM payments WHERE member_id = $1)::int AS payments,
              (SELECT count(*) FROM audit_events WHERE entity_id = $1::text
                  AND action = 'member.renewal_intent_recorded')::int AS audit`,
      [member.id],
    );
    expect(rows[0]).toEqual({ intents: 1, payments: 0, audit: 1 });

    const suspended = await memberWithSession();
    await http()
      .post(`/api/v1/members/${suspended.member.id}/status`)
      .set(...bearer(admin))
      .send({ action: 'suspend', reason: 'Disciplinary' })
      .expect(200);
    const refused = await http()
      .post('/api/v1/me/renewals/checkout')
      .set(...bearer(suspended.session));
    expect([refused.status, refused.body.code]).toEqual([409, 'INVALID_STATUS_TRANSITION']);
    // an admin has no portal renewal
    await http()
      .post('/api/v1/me/renewals/checkout')
      .set(...bearer(destAdmin))
      .expect(403);
  });
});
