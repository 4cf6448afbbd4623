import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createApiClient, type components, type ProblemDetails } from '@app/api-client';
import { renderOpenApiDocument } from '../../libs/core/src/http/openapi-render.js';
import { validIdNumber, WARDS } from '../harness/members.js';
import { startTestContext, TEST_ADMIN, TestContext } from '../harness/test-app.js';

type Role = components['schemas']['Role'];
type UserDto = components['schemas']['UserDto'];
type MemberStatus = components['schemas']['MemberStatus'];

const ROOT = path.resolve(import.meta.dirname, '../..');

/** The frontend contract: the committed openapi.json is what the app serves, and the generated client works. */
describe('Generated API client (e2e)', () => {
  let t: TestContext;

  beforeAll(async () => {
    t = await startTestContext();
  });
  afterAll(() => t.close());

  it('serves at /docs-json exactly the committed openapi.json (npm run openapi)', async () => {
    const res = await fetch(`${t.app.baseUrl}/docs-json`);
    expect(res.status).toBe(200);
    const served: unknown = await res.json();
    expect(renderOpenApiDocument(served)).toBe(
      readFileSync(path.join(ROOT, 'openapi.json'), 'utf8'),
    );
  });

  it('signs in, lists users and reads geography through typed calls', async () => {
    const anonymous = createApiClient(t.app.baseUrl);
    const login = await anonymous.POST('/api/v1/auth/login', {
      body: { email: TEST_ADMIN.email, password: TEST_ADMIN.password },
    });
    expect(login.response.status).toBe(200);
    if (!login.data) throw new Error(`login failed: ${JSON.stringify(login.error)}`);
    // The answer is typed as tokens or an MFA challenge; the fixture admin has no TOTP.
    if (!('accessToken' in login.data)) throw new Error('unexpected MFA challenge');
    const signedIn = login.data;
    const accessToken: string = signedIn.accessToken;
    expect(signedIn.tokenType).toBe('Bearer');
    expect(signedIn.user.email).toBe(TEST_ADMIN.email);
    const adminRole: Role = signedIn.user.role;
    expect(adminRole).toBe('super_admin');

    // The token as a function: what a frontend does when it refreshes tokens.
    const api = createApiClient(`${t.app.baseUrl}/`, { token: () => accessToken });
    const users = await api.GET('/api/v1/users', {
      params: { query: { limit: 10, q: TEST_ADMIN.email } },
    });
    expect(users.response.status).toBe(200);
    if (!users.data) throw new Error(`listing users failed: ${JSON.stringify(users.error)}`);
    const admin: UserDto | undefined = users.data.data.find((u) => u.email === TEST_ADMIN.email);
    expect(admin).toBeDefined();
    expect(admin?.active).toBe(true);
    expect(admin?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof admin?.version).toBe('number');
    expect(admin?.scopeLevel).toBe('national');
    expect(users.data.nextCursor).toBeNull();

    const one = await api.GET('/api/v1/users/{id}', {
      params: { path: { id: signedIn.user.id } },
    });
    expect(one.data?.email).toBe(TEST_ADMIN.email);

    const provinces = await api.GET('/api/v1/geography/provinces');
    expect(provinces.data?.map((p) => p.code)).toEqual(
      expect.arrayContaining(['EC', 'FS', 'GP', 'KZN', 'LP', 'MP', 'NC', 'NW', 'WC']),
    );
    const gauteng = await api.GET('/api/v1/geography/provinces/{code}', {
      params: { path: { code: 'GP' } },
    });
    expect(gauteng.data?.name).toBe('Gauteng');
    expect(gauteng.data?.districtCount).toBeGreaterThan(0);
    expect(gauteng.data?.wardCount).toBeGreaterThan(0);
  });

  it('creates and lists members through typed calls', async () => {
    const anonymous = createApiClient(t.app.baseUrl);
    const login = await anonymous.POST('/api/v1/auth/login', {
      body: { email: TEST_ADMIN.email, password: TEST_ADMIN.password },
    });
    const token = login.data && 'accessToken' in login.data ? login.data.accessToken : undefined;
    expect(token).toBeDefined();
    const api = createApiClient(t.app.baseUrl, { token });

    const created = await api.POST('/api/v1/members', {
      body: {
        idNumber: validIdNumber(),
        firstNames: 'Lerato',
        surname: 'Contractson',
        cellNumber: '0821234567',
        wardCode: WARDS.own,
        consentGiven: true,
      },
    });
    expect(created.response.status).toBe(201);
    if (!created.data)
      throw new Error(`creating a member failed: ${JSON.stringify(created.error)}`);
    expect(created.data.membershipNumber).toMatch(/^EFF/);
    expect(created.data.provinceCode).toBe('GP');

    const page = await api.GET('/api/v1/members', {
      params: { query: { q: 'Contractson', wardCode: WARDS.own, limit: 10 } },
    });
    expect(page.response.status).toBe(200);
    const found = page.data?.data.find((m) => m.id === created.data.id);
    expect(found?.surname).toBe('Contractson');
    const status: MemberStatus | undefined = found?.status;
    expect(typeof status).toBe('string');
  });

  it('answers errors as typed problem details', async () => {
    const api = createApiClient(t.app.baseUrl);
    const res = await api.GET('/api/v1/users', { params: { query: {} } });
    expect(res.response.status).toBe(401);
    expect(res.data).toBeUndefined();
    const problem: ProblemDetails | undefined = res.error;
    expect(problem?.code).toBe('UNAUTHENTICATED');
    expect(problem?.status).toBe(401);

    const bad = await createApiClient(t.app.baseUrl).POST('/api/v1/auth/login', {
      body: { email: TEST_ADMIN.email, password: 'wrong-password' },
    });
    expect(bad.response.status).toBe(401);
    expect(bad.error?.code).toBe('INVALID_CREDENTIALS');

    // Compile-time checks (never run), enforced by `npm run lint` (tsc over test/):
    const typeChecks = (): void => {
      // @ts-expect-error: no such route in the contract
      void api.GET('/api/v1/no-such-route');
      // @ts-expect-error: login needs a body with email and password
      void api.POST('/api/v1/auth/login', { body: { email: 'x@y.z' } });
    };
    expect(typeof typeChecks).toBe('function');
  });
});
