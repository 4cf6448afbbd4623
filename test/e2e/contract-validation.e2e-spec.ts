import { loginAsSuperAdmin, Session } from '../harness/auth.js';
import { ContractValidator } from '../harness/contract.js';
import { contractCheckedRequest, startTestContext, TestContext } from '../harness/test-app.js';

type Json = Record<string, unknown>;
type Operations = Record<string, Record<string, { responses: Record<string, Json> }>>;

/** The harness checks every answer against the served document; these prove the check can fail. */
describe('OpenAPI contract validation of every e2e answer', () => {
  let ctx: TestContext;
  let admin: Session;
  let served: Json;

  beforeAll(async () => {
    ctx = await startTestContext();
    admin = await loginAsSuperAdmin(ctx.app);
    served = (await (await fetch(`${ctx.app.baseUrl}/docs-json`)).json()) as Json;
  });
  afterAll(() => ctx?.close());

  const tampered = (change: (document: Json) => void): ContractValidator => {
    const document = structuredClone(served);
    change(document);
    return new ContractValidator(document);
  };
  const schemas = (document: Json) =>
    (document.components as { schemas: Record<string, Json> }).schemas;
  const operations = (document: Json) => document.paths as Operations;

  it('serves an OpenAPI 3.1 document and the real answers keep it', async () => {
    expect(served.openapi).toBe('3.1.0');
    await ctx.app
      .http()
      .get('/api/v1/geography/provinces')
      .set('Authorization', `Bearer ${admin.accessToken}`)
      .expect(200);
  });

  it('fails a request whose body breaks the declared schema', async () => {
    const contract = tampered((document) => {
      const province = schemas(document).ProvinceDto!;
      province.required = [...((province.required as string[] | undefined) ?? []), 'flag'];
    });
    await expect(
      contractCheckedRequest(ctx.app.baseUrl, contract)
        .get('/api/v1/geography/provinces')
        .set('Authorization', `Bearer ${admin.accessToken}`)
        .expect(200),
    ).rejects.toThrow(
      /breaks the OpenAPI document[\s\S]*body\/0 must have required property 'flag'/,
    );
  });

  it('fails a null where the document says an enum (no nullable beside a reference)', () => {
    const contract = tampered((document) => {
      const entry = schemas(document).MemberHistoryEntryDto as { properties: Json };
      entry.properties.fromStatus = { $ref: '#/components/schemas/MemberStatus' };
    });
    const problems = contract.check({
      method: 'GET',
      url: '/api/v1/members/00000000-0000-4000-8000-000000000000/history',
      status: 200,
      contentType: 'application/json; charset=utf-8',
      hasBody: true,
      body: {
        data: [
          {
            id: '1',
            createdAt: '2026-01-01T00:00:00.000Z',
            kind: 'created',
            fromStatus: null,
            toStatus: 'active',
            reason: null,
            details: null,
            actorUserId: null,
          },
        ],
        nextCursor: null,
      },
    });
    expect(problems.join('\n')).toMatch(/fromStatus/);
  });

  it('fails an undeclared status and an undeclared content type', async () => {
    const contract = tampered((document) => {
      const responses = operations(document)['/api/v1/users']!.get!.responses;
      delete responses.default;
      delete responses['401'];
    });
    await expect(
      contractCheckedRequest(ctx.app.baseUrl, contract).get('/api/v1/users').expect(401),
    ).rejects.toThrow(/declares no 401 answer/);

    const csv = tampered((document) => {
      const ok = operations(document)['/api/v1/geography/provinces']!.get!.responses['200']!;
      ok.content = { 'text/csv': { schema: { type: 'string' } } };
    });
    await expect(
      contractCheckedRequest(ctx.app.baseUrl, csv)
        .get('/api/v1/geography/provinces')
        .set('Authorization', `Bearer ${admin.accessToken}`)
        .expect(200),
    ).rejects.toThrow(/content type application\/json is not declared/);
  });

  it('fails a success on a route the document does not have, but accepts its problem-details 404', () => {
    const answer = {
      method: 'GET',
      url: '/api/v1/nowhere',
      contentType: 'application/json',
      hasBody: true,
    };
    expect(ctx.app.contract.check({ ...answer, status: 200, body: {} })).toEqual([
      expect.stringMatching(/no operation in the document/) as unknown,
    ]);
    expect(ctx.app.contract.check({ ...answer, status: 404, body: { title: 1 } })).not.toEqual([]);
    const created = ctx.app.contract.check({
      method: 'GET',
      url: '/api/v1/users',
      status: 201,
      contentType: 'application/json',
      hasBody: true,
      body: { data: [], nextCursor: null },
    });
    expect(created).toEqual([expect.stringMatching(/declares no 201 answer/) as unknown]);
  });

  it('lets a test that means to break the contract opt out, with a reason', async () => {
    const res = await ctx.app
      .http({ skipContract: 'sends a method the document does not list' })
      .put('/api/v1/geography/provinces');
    expect(res.status).toBeGreaterThanOrEqual(400);
  });

  it('lists the codes of every 4xx answer, describes every operation and tag, and keeps Swagger UI signed in', async () => {
    for (const [template, item] of Object.entries(operations(served)))
      for (const [method, operation] of Object.entries(item)) {
        const where = `${method} ${template}`;
        const described = operation as unknown as { summary?: string; description?: string };
        expect([where, Boolean(described.summary), Boolean(described.description)]).toEqual([
          where,
          true,
          true,
        ]);
        for (const [status, response] of Object.entries(operation.responses))
          if (status.startsWith('4'))
            expect([where, status, response['x-error-codes']]).toEqual([
              where,
              status,
              expect.arrayContaining([expect.stringMatching(/^[A-Z_]+$/)]) as unknown,
            ]);
      }
    expect(operations(served)['/api/v1/members']!.post!.responses['409']!['x-error-codes']).toEqual(
      ['DUPLICATE_ID_NUMBER', 'CANNOT_REGISTER_HERE'],
    );
    const tags = served.tags as { name: string; description?: string }[];
    expect(tags.filter((tag) => !tag.description)).toEqual([]);
    const ui = await (await fetch(`${ctx.app.baseUrl}/docs/swagger-ui-init.js`)).text();
    expect(ui).toMatch(/"persistAuthorization": true/);
  });
});
