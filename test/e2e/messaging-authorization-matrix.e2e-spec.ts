import { bearer } from '../harness/auth.js';
import {
  FORBIDDEN,
  Matrix,
  MATRIX_ROLES,
  MATRIX_USERS,
  PerTarget,
  Place,
  startMatrix,
} from '../harness/matrix.js';
import { WARDS } from '../harness/members.js';

/**
 * Every template and campaign route x every role x a target in the caller's own area, a sibling area (same
 * parent, other area of the caller's level) and the parent's wider area (outside the parent): the shared frame of
 * test/harness/matrix.ts. Templates and campaigns outside the scope answer 404 (no existence leak); an audience area outside the scope 403; roles
 * without the permission get 403 before any lookup.
 */
type Role = (typeof MATRIX_ROLES)[number];

interface Expected {
  createTemplate: number;
  listTemplates: number;
  getTemplate: PerTarget;
  updateTemplate: PerTarget;
  deleteTemplate: PerTarget;
  dryRun: PerTarget;
  createCampaign: PerTarget;
  getCampaign: PerTarget;
  sendCampaign: PerTarget;
}

const EVERYWHERE: Expected = {
  createTemplate: 201,
  listTemplates: 200,
  getTemplate: [200, 200, 200],
  updateTemplate: [200, 200, 200],
  deleteTemplate: [204, 204, 204],
  dryRun: [200, 200, 200],
  createCampaign: [201, 201, 201],
  getCampaign: [200, 200, 200],
  sendCampaign: [200, 200, 200],
};
const AREA_ADMIN: Expected = {
  createTemplate: 201,
  listTemplates: 200,
  getTemplate: [200, 404, 404],
  updateTemplate: [200, 404, 404],
  deleteTemplate: [204, 404, 404],
  dryRun: [200, 403, 403],
  createCampaign: [201, 403, 403],
  getCampaign: [200, 404, 404],
  sendCampaign: [200, 404, 404],
};
const NOTHING: Expected = {
  createTemplate: 403,
  listTemplates: 403,
  getTemplate: FORBIDDEN,
  updateTemplate: FORBIDDEN,
  deleteTemplate: FORBIDDEN,
  dryRun: FORBIDDEN,
  createCampaign: FORBIDDEN,
  getCampaign: FORBIDDEN,
  sendCampaign: FORBIDDEN,
};

const EXPECTED: Record<Role, Expected> = {
  super_admin: EVERYWHERE,
  national_admin: EVERYWHERE,
  provincial_admin: AREA_ADMIN,
  regional_admin: AREA_ADMIN,
  subregional_admin: AREA_ADMIN,
  ward_admin: AREA_ADMIN,
  auditor: NOTHING,
  member: NOTHING,
};

const TEMPLATE = { name: 'Matrix', channel: 'sms', body: 'Hi {{firstName}}' };

describe('messaging templates and campaigns: authorisation matrix (e2e)', () => {
  let m: Matrix<Role>;

  beforeAll(async () => {
    m = await startMatrix(MATRIX_ROLES, {
      CAMPAIGN_SENDS_PER_HOUR: '1000',
      MESSAGING_REMINDERS_CRON: 'off',
      MESSAGING_DISPATCH_INTERVAL_MS: '0',
    });
  }, 120_000);
  afterAll(() => m?.t.close());

  const http = () => m.t.app.http();

  /** A template belonging to the ward of `place` (as if a ward admin there had saved it). */
  async function templateAt(place: Place): Promise<string> {
    const { rows } = await m.t.db.pool.query<{ id: string }>(
      `INSERT INTO messaging_templates (name, channel, body, province_code, district_code, municipality_code,
                                        ward_code, version)
       SELECT 'At ' || $1::text, 'sms', 'Hi {{firstName}}', w.province_code, w.district_code,
              w.municipality_code, w.code, 1
         FROM wards w WHERE w.code = $2 RETURNING id`,
      [place, WARDS[place]],
    );
    return rows[0]!.id;
  }

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

  it('refuses every route without a token (401), the webhooks without the secret (403)', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    const calls = [
      http().post('/api/v1/messaging/templates').send(TEMPLATE),
      http().get('/api/v1/messaging/templates'),
      http().get(`/api/v1/messaging/templates/${id}`),
      http().put(`/api/v1/messaging/templates/${id}`).send(TEMPLATE),
      http().delete(`/api/v1/messaging/templates/${id}`),
      http().post('/api/v1/messaging/campaigns/dry-run').send({}),
      http().post('/api/v1/messaging/campaigns').send({}),
      http().get(`/api/v1/messaging/campaigns/${id}`),
      http().post(`/api/v1/messaging/campaigns/${id}/send`),
    ];
    const statuses = (await Promise.all(calls)).map((r) => r.status);
    expect(statuses).toEqual(Array(calls.length).fill(401));
    const inbound = await http().post('/api/v1/messaging/webhooks/bulksms/inbound').send([]);
    expect(inbound.status).toBe(403);
  });

  it.each(MATRIX_ROLES)('%s', async (role) => {
    const b = bearer(m.sessions[role]);
    const perTarget = (call: (place: Place) => Promise<number>): Promise<PerTarget> =>
      m.perTarget(role, call);
    const created = await http()
      .post('/api/v1/messaging/templates')
      .set(...b)
      .send(TEMPLATE);
    // the caller's own template (or, for roles without the permission, any id) drives the audience checks
    const own =
      created.status === 201
        ? (created.body as { id: string }).id
        : await templateAt(MATRIX_USERS[role].places[0]);
    const audience = (p: Place) => ({
      templateId: own,
      audience: { area: { level: 'ward', code: WARDS[p] }, statuses: ['active'] },
    });
    const actual: Expected = {
      createTemplate: created.status,
      listTemplates: (
        await http()
          .get('/api/v1/messaging/templates')
          .set(...b)
      ).status,
      getTemplate: await perTarget(
        async (p) =>
          (
            await http()
              .get(`/api/v1/messaging/templates/${await templateAt(p)}`)
              .set(...b)
          ).status,
      ),
      updateTemplate: await perTarget(
        async (p) =>
          (
            await http()
              .put(`/api/v1/messaging/templates/${await templateAt(p)}`)
              .set(...b)
              .send({ ...TEMPLATE, name: `By ${role}` })
          ).status,
      ),
      deleteTemplate: await perTarget(
        async (p) =>
          (
            await http()
              .delete(`/api/v1/messaging/templates/${await templateAt(p)}`)
              .set(...b)
          ).status,
      ),
      dryRun: await perTarget(
        async (p) =>
          (
            await http()
              .post('/api/v1/messaging/campaigns/dry-run')
              .set(...b)
              .send(audience(p))
          ).status,
      ),
      createCampaign: await perTarget(
        async (p) =>
          (
            await http()
              .post('/api/v1/messaging/campaigns')
              .set(...b)
              .send(audience(p))
          ).status,
      ),
      getCampaign: await perTarget(
        async (p) =>
          (
            await http()
              .get(`/api/v1/messaging/campaigns/${await draftAt(p)}`)
              .set(...b)
          ).status,
      ),
      sendCampaign: await perTarget(
        async (p) =>
          (
            await http()
              .post(`/api/v1/messaging/campaigns/${await draftAt(p)}/send`)
              .set(...b)
          ).status,
      ),
    };
    expect(actual).toEqual(EXPECTED[role]);
  });
});
