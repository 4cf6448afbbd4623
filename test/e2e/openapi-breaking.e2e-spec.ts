import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  findBreakingChanges,
  unapprovedChanges,
} from '../../libs/core/src/http/openapi-breaking.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'dist/apps/api/src/cli.js');

type Json = Record<string, unknown>;
type Operation = {
  parameters?: Json[];
  requestBody?: Json;
  responses: Record<string, Json>;
};
type Paths = Record<string, Record<string, Operation>>;
type Schemas = Record<string, Json & { properties: Record<string, Json>; required?: string[] }>;

const release = JSON.parse(readFileSync(path.join(ROOT, 'openapi.release.json'), 'utf8')) as Json;
const copy = (): Json => structuredClone(release);
const paths = (document: Json) => document.paths as Paths;
const schemas = (document: Json) => (document.components as { schemas: Schemas }).schemas;
const ids = (document: Json) => findBreakingChanges(release, document).map((change) => change.id);

/** The breaking-change check (npm run openapi:check): deliberately broken copies of the release fail it. */
describe('OpenAPI breaking-change check', () => {
  it('finds nothing between the release and itself, or the committed document', () => {
    expect(findBreakingChanges(release, copy())).toEqual([]);
    const committed = JSON.parse(readFileSync(path.join(ROOT, 'openapi.json'), 'utf8')) as Json;
    const approved = JSON.parse(
      readFileSync(path.join(ROOT, 'openapi.approved-changes.json'), 'utf8'),
    ) as { approved: { id: string; reason: string }[] };
    expect(unapprovedChanges(findBreakingChanges(release, committed), approved.approved)).toEqual(
      [],
    );
  });

  it('flags a removed route', () => {
    const document = copy();
    delete paths(document)['/api/v1/geography/provinces'];
    expect(ids(document)).toContain('operation-removed GET /api/v1/geography/provinces');
  });

  it('flags a removed response field and one no longer always present', () => {
    const document = copy();
    const user = schemas(document).UserDto!;
    delete user.properties.email;
    user.required = (user.required ?? []).filter((name) => name !== 'active');
    expect(ids(document)).toEqual(
      expect.arrayContaining([
        'response-property-removed GET /api/v1/users/{} 200 application/json body.email',
        'response-property-optional GET /api/v1/users/{} 200 application/json body.active',
      ]),
    );
  });

  it('flags a narrowed request type and a response that may now be null', () => {
    const document = copy();
    schemas(document).CreateMemberDto!.properties.firstNames = { type: 'integer' };
    schemas(document).ProvinceDto!.properties.name = { type: ['string', 'null'] };
    const found = ids(document);
    expect(found).toContain(
      'request-type-narrowed POST /api/v1/members application/json body.firstNames',
    );
    expect(found).toContain(
      'response-type-widened GET /api/v1/geography/provinces 200 application/json body[].name',
    );
  });

  it('flags a new required request field and a new required parameter', () => {
    const document = copy();
    const create = schemas(document).CreateMemberDto!;
    create.required = [...(create.required ?? []), 'cellNumber'];
    paths(document)['/api/v1/users']!.get!.parameters!.push({
      in: 'query',
      name: 'tenant',
      required: true,
      schema: { type: 'string' },
    });
    expect(ids(document)).toEqual(
      expect.arrayContaining([
        'request-property-required POST /api/v1/members application/json body.cellNumber',
        'request-parameter-required GET /api/v1/users query tenant',
      ]),
    );
  });

  it('flags a removed enum value', () => {
    const document = copy();
    const status = schemas(document).MemberStatus as unknown as { enum: string[] };
    const [first, ...rest] = status.enum;
    status.enum = rest;
    expect(
      ids(document).some(
        (id) => id.startsWith('enum-value-removed') && id.endsWith(JSON.stringify(first)),
      ),
    ).toBe(true);
  });

  it('does not flag additions: a new route, an optional request field, a new response field', () => {
    const document = copy();
    paths(document)['/api/v1/new'] = structuredClone(
      paths(document)['/api/v1/geography/provinces']!,
    );
    schemas(document).CreateMemberDto!.properties.nickname = { type: 'string' };
    schemas(document).ProvinceDto!.properties.flag = { type: 'string' };
    expect(findBreakingChanges(release, document)).toEqual([]);
  });

  describe('npm run openapi:check (cli openapi-breaking)', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'eff-breaking-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const check = async (document: Json, approved: { id: string; reason: string }[]) => {
      writeFileSync(path.join(dir, 'openapi.json'), JSON.stringify(document));
      writeFileSync(path.join(dir, 'approved.json'), JSON.stringify({ approved }));
      const args = [CLI, 'openapi-breaking', '--document', path.join(dir, 'openapi.json')];
      args.push('--approved', path.join(dir, 'approved.json'));
      return promisify(execFile)(process.execPath, args, { cwd: ROOT }).then(
        ({ stdout }) => ({ code: 0, output: stdout }),
        (error: { code?: number; stdout?: string; stderr?: string }) => ({
          code: error.code ?? 1,
          output: `${error.stdout ?? ''}${error.stderr ?? ''}`,
        }),
      );
    };

    it('fails on a deliberately broken copy, and passes once the change is approved', async () => {
      const document = copy();
      delete paths(document)['/api/v1/geography/provinces'];
      const failed = await check(document, []);
      expect(failed.code).toBe(1);
      expect(failed.output).toMatch(/operation-removed GET \/api\/v1\/geography\/provinces/);

      const approved = await check(document, [
        { id: 'operation-removed GET /api/v1/geography/provinces', reason: 'test' },
      ]);
      expect(approved).toEqual({ code: 0, output: expect.stringMatching(/1 approved/) as unknown });
    });
  });
});
