import { startTestContext, TestContext } from '../harness/test-app.js';

interface Operation {
  operationId?: string;
  security?: Record<string, string[]>[];
  responses?: Record<string, unknown>;
  'x-required-permission'?: string;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/**
 * Every route of the running app with the permission it requires, from /docs-json. A change to who may reach
 * what shows up in review as a change to the snapshot (`npm run jest -- test/e2e/route-permissions -u`
 * after checking it is intended).
 */
describe('route permissions (e2e)', () => {
  let ctx: TestContext;
  let routes: { method: string; path: string; permission: string; operation: Operation }[];

  beforeAll(async () => {
    ctx = await startTestContext({ AUTH_THROTTLE_LIMIT: '1000' });
    const doc = await ctx.app.http().get('/docs-json').expect(200);
    routes = Object.entries(doc.body.paths as Record<string, Record<string, Operation>>)
      .flatMap(([path, ops]) =>
        METHODS.filter((m) => ops[m]).map((method) => {
          const operation = ops[method] as Operation;
          return {
            method: method.toUpperCase(),
            path,
            permission: operation['x-required-permission'] ?? 'public',
            operation,
          };
        }),
      )
      .sort((a, b) => `${a.path} ${a.method}`.localeCompare(`${b.path} ${b.method}`));
  });
  afterAll(() => ctx?.close());

  it('lists every route with its permission', () => {
    expect(routes.map((r) => `${r.method} ${r.path} -> ${r.permission}`)).toMatchSnapshot();
  });

  it('documents bearer auth and 401 on every protected route, and 403 where a permission is needed', () => {
    for (const { method, path, permission, operation } of routes) {
      if (permission === 'public') continue;
      const where = `${method} ${path}`;
      expect([where, operation.security]).toEqual([where, [{ bearer: [] }]]);
      expect([where, Object.keys(operation.responses ?? {})]).toEqual([
        where,
        expect.arrayContaining(permission === 'authenticated' ? ['401'] : ['401', '403']),
      ]);
    }
  });

  it('refuses every protected route without a token (401), and serves public ones without one', async () => {
    const sampleId = '00000000-0000-4000-8000-000000000000';
    for (const { method, path, permission } of routes) {
      const url = path.replace(/\{[^}]+\}/g, sampleId);
      const http = ctx.app.http();
      const call =
        method === 'GET'
          ? http.get(url)
          : method === 'POST'
            ? http.post(url).send({})
            : method === 'PATCH'
              ? http.patch(url).send({})
              : method === 'PUT'
                ? http.put(url).send({})
                : http.delete(url);
      const res = await call;
      if (permission === 'public') {
        // A route with no declaration at all is refused by the guard (403); a public one is not.
        expect([method, path, res.status]).not.toEqual([method, path, 401]);
        expect([method, path, res.body?.detail]).not.toEqual([
          method,
          path,
          'This route declares no permission',
        ]);
      } else {
        expect([method, path, res.status]).toEqual([method, path, 401]);
      }
    }
  });
});
