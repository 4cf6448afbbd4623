import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { bearer, loginAsSuperAdmin, Session } from '../harness/auth.js';
import {
  countAppointments,
  insertAppointment,
  insertMember,
  positionId,
  structureId,
  TestMember,
} from '../harness/leadership-fixtures.js';
import { startTestContext, TestContext } from '../harness/test-app.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'dist/apps/api/src/cli.js');

const WARD = '74201001'; // GT421 (Emfuleni) ward 1, DC42, GP
const OTHER_WARD = '74201002';
const KZN_WARD = '52102001';

interface Appointment {
  id: string;
  structure: { id: string; kind: string };
  position: { id: string; code: string; title: string };
  member: Record<string, unknown>;
  kind: string;
  startsOn: string;
  endsOn: string | null;
  endReason: string | null;
  current: boolean;
  flags: string[];
}

interface SeatView {
  position: { id: string; code: string; seats: number };
  holders: Appointment[];
  vacantSeats: number;
}

describe('leadership (e2e)', () => {
  let ctx: TestContext;
  let admin: Session;
  let bct: string;
  let chair: string;
  let secretary: string;
  let additional: string;

  const post = (url: string, body: object) =>
    ctx.app
      .http()
      .post(`/api/v1${url}`)
      .set(...bearer(admin))
      .send(body);
  const get = (url: string) =>
    ctx.app
      .http()
      .get(`/api/v1${url}`)
      .set(...bearer(admin));
  const auditCount = async (): Promise<number> =>
    (
      await ctx.db.pool.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM audit_events WHERE action LIKE 'leadership.%'",
      )
    ).rows[0]?.n ?? 0;
  const seat = async (structure: string, position: string): Promise<SeatView> => {
    const res = await get(`/leadership/structures/${structure}`).expect(200);
    const found = (res.body.positions as SeatView[]).find((p) => p.position.id === position);
    if (!found) throw new Error('position missing from structure');
    return found;
  };

  beforeAll(async () => {
    ctx = await startTestContext();
    admin = await loginAsSuperAdmin(ctx.app);
    bct = await structureId(ctx.db.pool, 'bct', WARD);
    chair = await positionId(ctx.db.pool, 'bct', 'chairperson');
    secretary = await positionId(ctx.db.pool, 'bct', 'secretary');
    additional = await positionId(ctx.db.pool, 'bct', 'additional_member');
  });
  afterAll(() => ctx?.close());

  describe('structures seeded from the geography', () => {
    it('has one structure per area and level, with the area chain denormalised', async () => {
      const { rows } = await ctx.db.pool.query<{ kind: string; n: number; expected: number }>(
        `SELECT s.kind::text AS kind, count(*)::int AS n,
                CASE s.kind WHEN 'bct' THEN (SELECT count(*) FROM wards)
                            WHEN 'srct' THEN (SELECT count(*) FROM municipalities)
                            WHEN 'rct' THEN (SELECT count(*) FROM districts)
                            WHEN 'pct' THEN (SELECT count(*) FROM provinces)
                            ELSE 1 END::int AS expected
           FROM leadership_structures s GROUP BY s.kind ORDER BY s.kind`,
      );
      expect(rows).toHaveLength(6);
      for (const row of rows) expect(row.n).toBe(row.expected);
      expect(rows.reduce((sum, r) => sum + r.n, 0)).toBe(4468 + 213 + 52 + 9 + 2);

      const chain = await ctx.db.pool.query(
        `SELECT kind::text, province_code, district_code, municipality_code, ward_code
           FROM leadership_structures WHERE area_code IN ($1, 'GT421', 'DC42', 'GP', 'ZA') ORDER BY leadership_structures.kind`,
        [WARD],
      );
      expect(chain.rows).toEqual([
        expect.objectContaining({ kind: 'cct', province_code: null, ward_code: null }),
        expect.objectContaining({ kind: 'war_council', province_code: null }),
        {
          kind: 'pct',
          province_code: 'GP',
          district_code: null,
          municipality_code: null,
          ward_code: null,
        },
        {
          kind: 'rct',
          province_code: 'GP',
          district_code: 'DC42',
          municipality_code: null,
          ward_code: null,
        },
        {
          kind: 'srct',
          province_code: 'GP',
          district_code: 'DC42',
          municipality_code: 'GT421',
          ward_code: null,
        },
        {
          kind: 'bct',
          province_code: 'GP',
          district_code: 'DC42',
          municipality_code: 'GT421',
          ward_code: WARD,
        },
      ]);
    });

    it('seeds the position catalogue: the War Council is the top six plus a deployee per province', async () => {
      const res = await get(
        `/leadership/structures/${await structureId(ctx.db.pool, 'war_council', 'ZA')}`,
      );
      expect(res.status).toBe(200);
      const codes = (res.body.positions as SeatView[]).map((p) => p.position.code);
      expect(codes.slice(0, 6)).toEqual([
        'president',
        'deputy_president',
        'secretary_general',
        'deputy_secretary_general',
        'national_chairperson',
        'treasurer_general',
      ]);
      expect(codes.filter((c) => c.startsWith('deployee_'))).toHaveLength(9);
      expect((res.body.positions as SeatView[]).every((p) => p.position.seats === 1)).toBe(true);

      const branch = await get(`/leadership/structures/${bct}`).expect(200);
      expect((branch.body.positions as SeatView[]).map((p) => p.position.code)).toEqual([
        'chairperson',
        'deputy_chairperson',
        'secretary',
        'deputy_secretary',
        'treasurer',
        'organiser',
        'youth_leader',
        'womens_leader',
        'additional_member',
      ]);
    });

    it('seeding again (cli migrate) changes nothing', async () => {
      const before = await ctx.db.pool.query(
        'SELECT count(*)::int AS s, (SELECT count(*)::int FROM leadership_positions) AS p FROM leadership_structures',
      );
      const { DATABASE_URL: _d, REDIS_URL: _r, ...env } = process.env;
      const run = spawnSync(process.execPath, [CLI, 'migrate'], {
        cwd: ROOT,
        env: { ...env, NODE_ENV: 'test', DATABASE_URL: ctx.db.url, LOG_LEVEL: 'silent' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(run.status).toBe(0);
      expect(run.stdout).toContain('Leadership structures are up to date');
      const after = await ctx.db.pool.query(
        'SELECT count(*)::int AS s, (SELECT count(*)::int FROM leadership_positions) AS p FROM leadership_structures',
      );
      expect(after.rows).toEqual(before.rows);
    });

    it('lists structures by level and code, paginated', async () => {
      const pct = await get('/leadership/structures?level=pct&limit=100').expect(200);
      expect(pct.body.data).toHaveLength(9);
      expect(pct.body.nextCursor).toBeNull();

      const one = await get(`/leadership/structures?level=bct&code=${WARD}`).expect(200);
      expect(one.body.data).toEqual([
        expect.objectContaining({ id: bct, kind: 'bct', areaCode: WARD, wardCode: WARD }),
      ]);

      const seen = new Set<string>();
      let cursor: string | null = null;
      let pages = 0;
      do {
        const url: string = `/leadership/structures?level=rct&limit=20${cursor ? `&cursor=${cursor}` : ''}`;
        const page = await get(url).expect(200);
        for (const s of page.body.data as { id: string }[]) seen.add(s.id);
        cursor = page.body.nextCursor as string | null;
        pages += 1;
      } while (cursor && pages < 10);
      expect(pages).toBe(3);
      expect(seen.size).toBe(52);

      await get('/leadership/structures?level=nonsense').expect(400);
      await get('/leadership/structures?cursor=garbage!').expect(400);
    });
  });

  describe('appointments', () => {
    let holder: TestMember;
    let holderAppointment: string;

    it('appoints an Active member of the ward, audits it, and shows the holder', async () => {
      holder = await insertMember(ctx.db.pool, WARD);
      const auditsBefore = await auditCount();
      const res = await post('/leadership/appointments', {
        structureId: bct,
        positionId: chair,
        memberId: holder.id,
        kind: 'elected',
        startsOn: '2025-03-01',
      });
      expect(res.status).toBe(201);
      holderAppointment = res.body.id as string;
      expect(res.body).toMatchObject({
        structure: { id: bct, kind: 'bct' },
        position: { id: chair, code: 'chairperson', singleHolder: true },
        member: { id: holder.id, membershipNumber: holder.membershipNumber, status: 'active' },
        kind: 'elected',
        startsOn: '2025-03-01',
        endsOn: null,
        endReason: null,
        current: true,
        flags: [],
      });
      expect(JSON.stringify(res.body)).not.toMatch(/idNumber|id_number/);
      expect(await auditCount()).toBe(auditsBefore + 1);
      const audit = await ctx.db.pool.query(
        "SELECT entity_id, province_code FROM audit_events WHERE action = 'leadership.appointed' AND entity_id = $1",
        [holderAppointment],
      );
      expect(audit.rows[0]).toEqual({ entity_id: holderAppointment, province_code: 'GP' });

      const view = await seat(bct, chair);
      expect(view.vacantSeats).toBe(0);
      expect(view.holders.map((h) => h.id)).toEqual([holderAppointment]);
    });

    it('refuses a second holder of a single-holder position with 409 naming the holder', async () => {
      const rival = await insertMember(ctx.db.pool, WARD);
      const before = await countAppointments(ctx.db.pool);
      const res = await post('/leadership/appointments', {
        structureId: bct,
        positionId: chair,
        memberId: rival.id,
        kind: 'elected',
      });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('SEAT_TAKEN');
      expect(res.body.detail).toContain(`${holder.firstNames} ${holder.surname}`);
      expect(res.body.detail).toContain(holder.membershipNumber);
      expect(res.body.holder).toMatchObject({ membershipNumber: holder.membershipNumber });
      expect(JSON.stringify(res.body)).not.toMatch(/idNumber|id_number|9001010/);

      // An earlier term that overlaps the holder's start also collides ...
      const overlapping = await post('/leadership/appointments', {
        structureId: bct,
        positionId: chair,
        memberId: rival.id,
        kind: 'acting',
        startsOn: '2025-01-01',
        endsOn: '2025-03-02',
      });
      expect(overlapping.status).toBe(409);
      expect(await countAppointments(ctx.db.pool)).toBe(before);

      // ... one that ends the day the holder starts (end is exclusive) does not.
      const earlier = await post('/leadership/appointments', {
        structureId: bct,
        positionId: chair,
        memberId: rival.id,
        kind: 'acting',
        startsOn: '2025-01-01',
        endsOn: '2025-03-01',
      });
      expect(earlier.status).toBe(201);
      expect(earlier.body.current).toBe(false);
    });

    it('is guaranteed by the database itself (exclusion constraints), not only by the service', async () => {
      const other = await insertMember(ctx.db.pool, WARD);
      await expect(
        insertAppointment(ctx.db.pool, {
          structureId: bct,
          positionId: chair,
          memberId: other.id,
          startsOn: '2026-01-01',
        }),
      ).rejects.toMatchObject({
        code: '23P01',
        constraint: 'EX_leadership_appointments_single_holder',
      });
      // the holder of the chair cannot also hold the secretary's position in the same structure
      await expect(
        insertAppointment(ctx.db.pool, {
          structureId: bct,
          positionId: secretary,
          memberId: holder.id,
          startsOn: '2026-01-01',
        }),
      ).rejects.toMatchObject({
        code: '23P01',
        constraint: 'EX_leadership_appointments_member_per_structure',
      });
    });

    it('refuses a member a second position in the same structure (409 ALREADY_IN_STRUCTURE)', async () => {
      const res = await post('/leadership/appointments', {
        structureId: bct,
        positionId: secretary,
        memberId: holder.id,
        kind: 'appointed',
      });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('ALREADY_IN_STRUCTURE');
      // but the same member may also serve in the sub-region's structure
      const srct = await structureId(ctx.db.pool, 'srct', 'GT421');
      const ok = await post('/leadership/appointments', {
        structureId: srct,
        positionId: await positionId(ctx.db.pool, 'srct', 'organiser'),
        memberId: holder.id,
        kind: 'appointed',
      });
      expect(ok.status).toBe(201);
    });

    it('refuses ineligible members with 422 MEMBER_INELIGIBLE and changes nothing', async () => {
      const before = await countAppointments(ctx.db.pool);
      const audits = await auditCount();
      for (const status of ['pending', 'grace_period', 'expired', 'suspended', 'deceased']) {
        const inactive = await insertMember(ctx.db.pool, WARD, { status });
        const res = await post('/leadership/appointments', {
          structureId: bct,
          positionId: secretary,
          memberId: inactive.id,
          kind: 'elected',
        });
        expect(res.status).toBe(422);
        expect(res.body.code).toBe('MEMBER_INELIGIBLE');
        expect(res.body.detail).toContain(status);
      }
      const neighbour = await insertMember(ctx.db.pool, OTHER_WARD);
      const outside = await post('/leadership/appointments', {
        structureId: bct,
        positionId: secretary,
        memberId: neighbour.id,
        kind: 'elected',
      });
      expect(outside.status).toBe(422);
      expect(outside.body.detail).toContain(OTHER_WARD);

      const warCouncil = await structureId(ctx.db.pool, 'war_council', 'ZA');
      const kzn = await insertMember(ctx.db.pool, KZN_WARD);
      const wrongProvince = await post('/leadership/appointments', {
        structureId: warCouncil,
        positionId: await positionId(ctx.db.pool, 'war_council', 'deployee_gp'),
        memberId: kzn.id,
        kind: 'appointed',
      });
      expect(wrongProvince.status).toBe(422);
      expect(wrongProvince.body.detail).toContain('province GP');
      expect(await countAppointments(ctx.db.pool)).toBe(before);
      expect(await auditCount()).toBe(audits);

      const rightProvince = await post('/leadership/appointments', {
        structureId: warCouncil,
        positionId: await positionId(ctx.db.pool, 'war_council', 'deployee_kzn'),
        memberId: kzn.id,
        kind: 'appointed',
      });
      expect(rightProvince.status).toBe(201);
    });

    it('answers bad input with a clear 4xx and changes nothing', async () => {
      const member = await insertMember(ctx.db.pool, WARD);
      const before = await countAppointments(ctx.db.pool);
      const audits = await auditCount();
      const base = {
        structureId: bct,
        positionId: secretary,
        memberId: member.id,
        kind: 'elected',
      };

      const unknownStructure = await post('/leadership/appointments', {
        ...base,
        structureId: '00000000-0000-4000-8000-000000000000',
      });
      expect(unknownStructure.status).toBe(404);
      expect(unknownStructure.body.detail).toContain('Structure');

      const wrongLevel = await post('/leadership/appointments', {
        ...base,
        positionId: await positionId(ctx.db.pool, 'cct', 'president'),
      });
      expect(wrongLevel.status).toBe(400);
      expect(wrongLevel.body.errors).toEqual([
        expect.objectContaining({ field: 'positionId', code: 'positionNotInStructure' }),
      ]);

      const unknownMember = await post('/leadership/appointments', {
        ...base,
        memberId: '00000000-0000-4000-8000-000000000001',
      });
      expect(unknownMember.status).toBe(404);
      expect(unknownMember.body.detail).toContain('Member');

      const backwards = await post('/leadership/appointments', {
        ...base,
        startsOn: '2026-05-01',
        endsOn: '2026-04-30',
      });
      expect(backwards.status).toBe(400);
      expect(backwards.body.errors).toEqual([expect.objectContaining({ field: 'endsOn' })]);

      for (const body of [
        { ...base, startsOn: '2025-02-30' },
        { ...base, kind: 'crowned' },
        { ...base, memberId: 'not-a-uuid' },
        { ...base, idNumber: '8001015009087' },
        { structureId: bct },
      ]) {
        const res = await post('/leadership/appointments', body);
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('VALIDATION_FAILED');
      }
      await get('/leadership/structures/not-a-uuid').expect(400);
      await get('/leadership/structures/00000000-0000-4000-8000-000000000000').expect(404);
      expect(await countAppointments(ctx.db.pool)).toBe(before);
      expect(await auditCount()).toBe(audits);
    });

    it('fills a multi-seat position up to its seat count, then answers 409', async () => {
      const view = await seat(bct, additional);
      const seats = view.position.seats;
      expect(seats).toBeGreaterThan(1);
      for (let i = view.holders.length; i < seats; i += 1) {
        const member = await insertMember(ctx.db.pool, WARD);
        const res = await post('/leadership/appointments', {
          structureId: bct,
          positionId: additional,
          memberId: member.id,
          kind: 'elected',
        });
        expect(res.status).toBe(201);
        expect(res.body.position.singleHolder).toBe(false);
      }
      const extra = await insertMember(ctx.db.pool, WARD);
      const res = await post('/leadership/appointments', {
        structureId: bct,
        positionId: additional,
        memberId: extra.id,
        kind: 'elected',
      });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('SEAT_TAKEN');
      expect(res.body.detail).toContain(`All ${seats} seats`);
      expect((await seat(bct, additional)).vacantSeats).toBe(0);
    });

    it('ends an appointment (end before start is 400), keeps it in the history, and frees the seat', async () => {
      const early = await post(`/leadership/appointments/${holderAppointment}/end`, {
        reason: 'resigned',
        endsOn: '2025-02-28',
      });
      expect(early.status).toBe(400);
      expect(early.body.errors).toEqual([expect.objectContaining({ field: 'endsOn' })]);
      await post(`/leadership/appointments/${holderAppointment}/end`, { reason: 'bored' }).expect(
        400,
      );
      await post('/leadership/appointments/00000000-0000-4000-8000-000000000000/end', {
        reason: 'resigned',
      }).expect(404);

      const ended = await post(`/leadership/appointments/${holderAppointment}/end`, {
        reason: 'resigned',
        endsOn: '2025-09-30',
        note: 'Moved to Cape Town',
      });
      expect(ended.status).toBe(200);
      expect(ended.body).toMatchObject({
        id: holderAppointment,
        endsOn: '2025-09-30',
        endReason: 'resigned',
        endNote: 'Moved to Cape Town',
        current: false,
        flags: [],
      });
      const again = await post(`/leadership/appointments/${holderAppointment}/end`, {
        reason: 'removed',
      });
      expect(again.status).toBe(409);
      const audit = await ctx.db.pool.query(
        "SELECT count(*)::int AS n FROM audit_events WHERE action = 'leadership.appointment_ended' AND entity_id = $1",
        [holderAppointment],
      );
      expect(audit.rows[0]).toEqual({ n: 1 });

      expect((await seat(bct, chair)).vacantSeats).toBe(1);
      const vacancies = await get(`/leadership/vacancies?level=bct&code=${WARD}`).expect(200);
      const vacant = (
        vacancies.body.data as { position: { code: string }; vacantSeats: number }[]
      ).map((v) => v.position.code);
      expect(vacant).toContain('chairperson');
      expect(vacant).not.toContain('additional_member');

      // A successor from the day after the old term.
      const successor = await insertMember(ctx.db.pool, WARD);
      await post('/leadership/appointments', {
        structureId: bct,
        positionId: chair,
        memberId: successor.id,
        kind: 'elected',
        startsOn: '2025-10-01',
      }).expect(201);
      const after = await get(`/leadership/vacancies?level=bct&code=${WARD}`).expect(200);
      expect(
        (after.body.data as { position: { code: string } }[]).map((v) => v.position.code),
      ).not.toContain('chairperson');

      const history = await get(`/leadership/structures/${bct}/history?positionId=${chair}`).expect(
        200,
      );
      const rows = history.body.data as Appointment[];
      expect(rows.map((a) => [a.startsOn, a.endsOn, a.endReason])).toEqual([
        ['2025-10-01', null, null],
        ['2025-03-01', '2025-09-30', 'resigned'],
        ['2025-01-01', '2025-03-01', null],
      ]);

      const first = await get(`/leadership/structures/${bct}/history?limit=2`).expect(200);
      expect(first.body.data).toHaveLength(2);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await get(
        `/leadership/structures/${bct}/history?limit=2&cursor=${first.body.nextCursor as string}`,
      ).expect(200);
      const firstIds = (first.body.data as Appointment[]).map((a) => a.id);
      for (const a of second.body.data as Appointment[]) expect(firstIds).not.toContain(a.id);
    });

    it("lists a member's positions, past and present", async () => {
      const res = await get(`/members/${holder.id}/positions`).expect(200);
      const positions = res.body as Appointment[];
      expect(positions.map((p) => [p.structure.kind, p.position.code, p.current])).toEqual(
        expect.arrayContaining([
          ['bct', 'chairperson', false],
          ['srct', 'organiser', true],
        ]),
      );
      await get('/members/00000000-0000-4000-8000-000000000000/positions').expect(404);
    });
  });

  describe('flags', () => {
    it('flags the open appointment of a member who is suspended or moves away, when read', async () => {
      const deputy = await positionId(ctx.db.pool, 'bct', 'deputy_chairperson');
      const member = await insertMember(ctx.db.pool, WARD);
      const created = await post('/leadership/appointments', {
        structureId: bct,
        positionId: deputy,
        memberId: member.id,
        kind: 'elected',
        startsOn: '2025-06-01',
      });
      expect(created.status).toBe(201);
      expect(created.body.flags).toEqual([]);

      await ctx.db.pool.query("UPDATE members SET status = 'suspended' WHERE id = $1", [member.id]);
      let view = await seat(bct, deputy);
      expect(view.holders).toHaveLength(1);
      expect(view.holders[0]?.flags).toEqual(['member_not_active']);
      expect(view.holders[0]?.member).toMatchObject({ status: 'suspended' });

      await ctx.db.pool.query(
        `UPDATE members SET ward_code = w.code, municipality_code = w.municipality_code,
                district_code = w.district_code, province_code = w.province_code
           FROM wards w WHERE w.code = $2 AND members.id = $1`,
        [member.id, KZN_WARD],
      );
      view = await seat(bct, deputy);
      expect(view.holders[0]?.flags).toEqual(['member_not_active', 'member_outside_area']);
      // the seat is still held (flagged, not silently dropped) until someone ends the appointment
      expect(view.vacantSeats).toBe(0);

      const positions = await get(`/members/${member.id}/positions`).expect(200);
      expect((positions.body as Appointment[])[0]?.flags).toEqual([
        'member_not_active',
        'member_outside_area',
      ]);

      await ctx.db.pool.query("UPDATE members SET status = 'active' WHERE id = $1", [member.id]);
      view = await seat(bct, deputy);
      expect(view.holders[0]?.flags).toEqual(['member_outside_area']);

      const ended = await post(`/leadership/appointments/${created.body.id as string}/end`, {
        reason: 'removed',
      });
      expect(ended.status).toBe(200);
      expect(ended.body.flags).toEqual([]);
    });
  });

  describe('OpenAPI', () => {
    it('documents every leadership route with its permission and named enums', async () => {
      const res = await ctx.app.http().get('/docs-json').expect(200);
      const paths = res.body.paths as Record<string, Record<string, Record<string, unknown>>>;
      const expected: [string, string, string][] = [
        ['/api/v1/leadership/structures', 'get', 'leadership:read'],
        ['/api/v1/leadership/structures/{id}', 'get', 'leadership:read'],
        ['/api/v1/leadership/structures/{id}/history', 'get', 'leadership:read'],
        ['/api/v1/leadership/vacancies', 'get', 'leadership:read'],
        ['/api/v1/leadership/appointments', 'post', 'leadership:manage'],
        ['/api/v1/leadership/appointments/{id}/end', 'post', 'leadership:manage'],
        ['/api/v1/members/{id}/positions', 'get', 'leadership:read'],
      ];
      for (const [path, method, permission] of expected) {
        expect(paths[path]?.[method]?.['x-required-permission']).toBe(permission);
      }
      const schemas = res.body.components.schemas as Record<string, unknown>;
      for (const name of ['StructureKind', 'AppointmentKind', 'EndReason', 'AppointmentFlag']) {
        expect(schemas[name]).toBeDefined();
      }
      expect(JSON.stringify(schemas.AppointmentDto)).not.toContain('idNumber');
    });
  });

  describe('vacancies', () => {
    it('pages through vacancies in scope', async () => {
      const first = await get('/leadership/vacancies?level=pct&limit=5').expect(200);
      expect(first.body.data).toHaveLength(5);
      const second = await get(
        `/leadership/vacancies?level=pct&limit=5&cursor=${first.body.nextCursor as string}`,
      ).expect(200);
      const key = (v: { structure: { id: string }; position: { id: string } }) =>
        `${v.structure.id}/${v.position.id}`;
      const firstKeys = (first.body.data as never[]).map(key);
      for (const v of second.body.data as never[]) expect(firstKeys).not.toContain(key(v));
      expect(first.body.data[0]).toMatchObject({
        structure: { kind: 'pct' },
        position: { code: 'chairperson' },
        vacantSeats: 1,
      });
    });
  });
});
