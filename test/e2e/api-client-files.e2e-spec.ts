import { createApiClient, type ApiClient } from '@app/api-client';
import { TEMPLATE_COLUMNS } from '../../libs/members/src/imports/import-columns.js';
import { validIdNumber, WARDS } from '../harness/members.js';
import { startTestContext, TEST_ADMIN, TestContext } from '../harness/test-app.js';

/**
 * The generated client without casts: uploads take a Blob (or File), downloads are a Blob, and a field the
 * server defaults may be left out. ts-jest type-checks this file, so a regression fails before it runs.
 */
describe('Generated API client: files and server defaults (e2e)', () => {
  let t: TestContext;
  let api: ApiClient;

  beforeAll(async () => {
    t = await startTestContext();
    const login = await createApiClient(t.app.baseUrl).POST('/api/v1/auth/login', {
      body: { email: TEST_ADMIN.email, password: TEST_ADMIN.password },
    });
    // No TOTP on the fixture admin: the token answer, not an MFA challenge.
    api = createApiClient(t.app.baseUrl, {
      token: login.data && 'accessToken' in login.data ? login.data.accessToken : undefined,
    });
  });
  afterAll(() => t.close());

  it('creates a member without the fields the server defaults (consentGiven)', async () => {
    const created = await api.POST('/api/v1/members', {
      body: {
        idNumber: validIdNumber(),
        firstNames: 'Ayanda',
        surname: 'Defaultson',
        wardCode: WARDS.own,
      },
    });
    expect(created.response.status).toBe(201);
  });

  it('downloads the import template as a Blob', async () => {
    const template = await api.GET('/api/v1/members/imports/template', {
      params: { query: { format: 'csv' } },
      parseAs: 'blob',
    });
    expect(template.response.status).toBe(200);
    const file: Blob | undefined = template.data;
    expect(file?.type).toMatch(/^text\/csv/);
    expect((await file?.text())?.split('\n')[0]).toContain(TEMPLATE_COLUMNS[0]!.header);
  });

  it('uploads a register as a Blob in multipart/form-data, leaving mode to its default', async () => {
    const csv = await api.GET('/api/v1/members/imports/template', {
      params: { query: { format: 'csv' } },
      parseAs: 'blob',
    });
    if (!csv.data) throw new Error('no template');
    const upload = await api.POST('/api/v1/members/imports', {
      body: { file: csv.data, dryRun: true },
      bodySerializer: (body) => {
        const form = new FormData();
        form.append('file', body.file, 'register.csv');
        if (body.dryRun !== undefined) form.append('dryRun', String(body.dryRun));
        return form;
      },
    });
    expect([200, 202]).toContain(upload.response.status);
    expect(upload.data?.dryRun).toBe(true);
  });
});
