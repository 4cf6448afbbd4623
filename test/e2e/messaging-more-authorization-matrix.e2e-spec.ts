import { bearer } from '../harness/auth.js';
import {
  FORBIDDEN,
  Matrix,
  PerTarget,
  Place,
  startMatrix,
  MATRIX_ROLES,
} from '../harness/matrix.js';
import { WARDS } from '../harness/members.js';

/**
 * The routes issue #19's second messaging branch added, x every role x a target in the caller's own area, a
 * sibling area and the parent's wider area: the campaign list (200 for the call; per place whether a campaign
 * there is listed: 200 listed, 404 left out), a dry run and a draft for a meeting's invitees (a meeting outside the
 * scope answers 404, as reading it does), and the public unsubscribe routes (the signed token is the only
 * authorisation: no session needed, none helps).
 */
const ROLES = [...MATRIX_ROLES, 'finance_officer'] as const;
type Role = (typeof ROLES)[number];

interface Expected {
  list: number;
  listed: PerTarget;
  meetingDryRun: PerTarget;
  meetingDraft: PerTarget;
  unsubscribe: [get: number, post: number];
}

const NATIONAL: Expected = {
  list: 200,
  listed: [200, 200, 200],
  meetingDryRun: [200, 200, 200],
  meetingDraft: [201, 201, 201],
  unsubscribe: [400, 400],
};
const AREA: Expected = {
  list: 200,
  listed: [200, 404, 404],
  meetingDryRun: [200, 404, 404],
  meetingDraft: [201, 404, 404],
  unsubscribe: [400, 400],
};
const NONE: Expected = {
  list: 403,
  listed: FORBIDDEN,
  meetingDryRun: FORBIDDEN,
  meetingDraft: FORBIDDEN,
  unsubscribe: [400, 400],
};

const EXPECTED: Record<Role, Expected> = {
  super_admin: NATIONAL,
  national_admin: NATIONAL,
  provincial_admin: AREA,
  regional_admin: AREA,
  subregional_admin: AREA,
  ward_admin: AREA,
  auditor: NONE,
  member: NONE,
  finance_officer: NONE,
};

describe('messaging campaign list, meeting audiences, unsubscribe: authorisation matrix (e2e)', () => {
  let m: Matrix<Role>;
  const http = () => m.t.app.http();

  beforeAll(async () => {
    m = await startMatrix(ROLES, {
      CAMPAIGN_SENDS_PER_HOUR: '1000',
      MESSAGING_REMINDERS_CRON: 'off',
      MESSAGING_DISPATCH_INTERVAL_MS: '0',
    });
  }, 180_000);
  afterAll(() => m?.t.close());

  /** A draft campaign to the ward of `place`. */
  async function draftAt(place: Place): Promise<string> {
    const { rows } = await m.t.db.pool.query<{ id: string }>(
      `INSERT INTO messaging_campaigns (template_id, channel, body, audience, recipient_count, province_code,
                                        district_code, municipality_code, ward_code)
       SELECT gen_random_uuid(), 'sms', 'Hi', jsonb_build_object('area', jsonb_build_object('level', 'ward',
              'code', w.code), 'statuses', jsonb_build_array('active'), 'expiry', null), 0, w.province_code,
              w.district_code, w.municipality_code, w.code
         FROM wards w WHERE w.code = $1 RETURNING id`,
      [WARDS[place]],
    );
    return rows[0]!.id;
  }

  /** A BGA of the ward of `place`. */
  async function meetingAt(place: Place): Promise<string> {
    const { rows } = await m.t.db.pool.query<{ id: string }>(
      `INSERT INTO branch_meetings (type, province_code, district_code, municipality_code, ward_code,
                                    scheduled_on, place)
       SELECT 'bga', w.province_code, w.district_code, w.municipality_code, w.code, current_date + 7, 'Hall'
         FROM wards w WHERE w.code = $1 RETURNING id`,
      [WARDS[place]],
    );
    return rows[0]!.id;
  }

  /** The role's own template (roles without messaging:send get a national one: they are refused before any lookup). */
  async function templateFor(role: Role): Promise<string> {
    const res = await http()
      .post('/api/v1/messaging/templates')
      .set(...bearer(m.sessions[role]))
      .send({ name: `Matrix ${role}`, channel: 'sms', body: 'Hi {{firstName}}, {{meetingPlace}}' });
    if (res.status === 201) return (res.body as { id: string }).id;
    const { rows } = await m.t.db.pool.query<{ id: string }>(
      "INSERT INTO messaging_templates (name, channel, body, version) VALUES ('National', 'sms', 'Hi', 1) RETURNING id",
    );
    return rows[0]!.id;
  }

  it('refuses the campaign list without a token (401); the unsubscribe routes need none (400 without one)', async () => {
    expect((await http().get('/api/v1/messaging/campaigns')).status).toBe(401);
    expect((await http().get('/api/v1/messaging/unsubscribe')).status).toBe(400);
    expect(
      (
        await http()
          .post('/api/v1/messaging/unsubscribe')
          .type('form')
          .send('List-Unsubscribe=One-Click')
      ).status,
    ).toBe(400);
  });

  it.each(ROLES)('%s', async (role) => {
    const b = bearer(m.sessions[role]);
    const template = await templateFor(role);
    const listedIds = async (): Promise<Set<string> | null> => {
      const ids = new Set<string>();
      let cursor: string | null = null;
      do {
        const res: { status: number; body: { data: { id: string }[]; nextCursor: string | null } } =
          await http()
            .get(`/api/v1/messaging/campaigns?limit=100${cursor ? `&cursor=${cursor}` : ''}`)
            .set(...b);
        if (res.status !== 200) return null;
        for (const c of res.body.data) ids.add(c.id);
        cursor = res.body.nextCursor;
      } while (cursor);
      return ids;
    };
    const drafts = {} as Record<Place, string>;
    for (const place of new Set<Place>([
      'own',
      'siblingWard',
      'siblingMunicipality',
      'siblingDistrict',
      'otherProvince',
    ]))
      drafts[place] = await draftAt(place);
    const listed = await listedIds();
    const listStatus = (
      await http()
        .get('/api/v1/messaging/campaigns')
        .set(...b)
    ).status;
    const actual: Expected = {
      list: listStatus,
      listed: await m.perTarget(role, (place) =>
        Promise.resolve(listed === null ? 403 : listed.has(drafts[place]) ? 200 : 404),
      ),
      meetingDryRun: await m.perTarget(
        role,
        async (place) =>
          (
            await http()
              .post('/api/v1/messaging/campaigns/dry-run')
              .set(...b)
              .send({ templateId: template, audience: { meetingId: await meetingAt(place) } })
          ).status,
      ),
      meetingDraft: await m.perTarget(
        role,
        async (place) =>
          (
            await http()
              .post('/api/v1/messaging/campaigns')
              .set(...b)
              .send({ templateId: template, audience: { meetingId: await meetingAt(place) } })
          ).status,
      ),
      unsubscribe: [
        (
          await http()
            .get('/api/v1/messaging/unsubscribe?token=x')
            .set(...b)
        ).status,
        (
          await http()
            .post('/api/v1/messaging/unsubscribe?token=x')
            .set(...b)
        ).status,
      ],
    };
    expect(actual).toEqual(EXPECTED[role]);
  });
});
