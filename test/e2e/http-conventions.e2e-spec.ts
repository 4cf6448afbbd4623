import { startTestContext, TestContext } from '../harness/test-app.js';

describe('HTTP conventions (e2e)', () => {
  let t: TestContext;

  beforeAll(async () => {
    t = await startTestContext({ BODY_LIMIT: '2kb', CORS_ORIGINS: 'https://portal.example' });
  });
  afterAll(() => t.close());

  it('answers malformed JSON with 400 MALFORMED_JSON', async () => {
    const res = await t.app
      .http()
      .post('/api/v1/geography/provinces')
      .set('Content-Type', 'application/json')
      .send('{"name": ')
      .expect(400);
    expect(res.body).toMatchObject({ code: 'MALFORMED_JSON', status: 400 });
    expect(res.body.detail).not.toMatch(/position|Unexpected/);
  });

  it('answers an oversized body with 413', async () => {
    const res = await t.app
      .http()
      .post('/api/v1/geography/provinces')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ filler: 'x'.repeat(5000) }))
      .expect(413);
    expect(res.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413 });
  });

  it('answers an unknown method on a known path with a 404 problem', async () => {
    const res = await t.app.http().delete('/api/v1/geography/provinces').expect(404);
    expect(res.body.code).toBe('ROUTE_NOT_FOUND');
  });

  it('keeps a well-formed incoming request id and replaces a bad one', async () => {
    const kept = await t.app
      .http()
      .get('/api/v1/health')
      .set('X-Request-Id', 'abc-123')
      .expect(200);
    expect(kept.headers['x-request-id']).toBe('abc-123');
    const replaced = await t.app
      .http()
      .get('/api/v1/health')
      .set('X-Request-Id', 'bad id\twith tab')
      .expect(200);
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends security headers and no X-Powered-By', async () => {
    const res = await t.app.http().get('/api/v1/geography/provinces').expect(200);
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
  });

  it('allows CORS only from the allow-list', async () => {
    const allowed = await t.app
      .http()
      .options('/api/v1/geography/provinces')
      .set('Origin', 'https://portal.example')
      .set('Access-Control-Request-Method', 'GET');
    expect(allowed.headers['access-control-allow-origin']).toBe('https://portal.example');
    const foreign = await t.app
      .http()
      .options('/api/v1/geography/provinces')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'GET');
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('reports liveness and readiness with the database', async () => {
    await t.app.http().get('/api/v1/health').expect(200, { status: 'ok' });
    const ready = await t.app.http().get('/api/v1/health/ready').expect(200);
    expect(ready.body).toEqual({ ready: true, status: 'ok', checks: { database: 'ok' } });
  });

  it('serves the OpenAPI document with unique operation ids and the problem schema on every operation', async () => {
    const res = await t.app.http().get('/docs-json').expect(200);
    const doc = res.body;
    expect(doc.components.schemas.ProblemDetailsDto).toBeDefined();
    const operations = Object.values(doc.paths).flatMap((item: any) =>
      Object.values(item),
    ) as any[];
    const ids = operations.map((op) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain('geographyGetWard');
    for (const op of operations) {
      expect(op.responses.default.content['application/problem+json'].schema.$ref).toBe(
        '#/components/schemas/ProblemDetailsDto',
      );
    }
    await t.app.http().get('/docs').expect(200);
  });
});
