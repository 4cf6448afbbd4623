import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.resolve(import.meta.dirname, '../..');
const REDOCLY = path.join(ROOT, 'node_modules/@redocly/cli/bin/cli.js');

interface LintResult {
  code: number;
  output: string;
}

/** `redocly lint` with the project's redocly.yaml on a document; resolves with exit code and output. */
async function lint(document: unknown): Promise<LintResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'eff-lint-'));
  try {
    const file = path.join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(document));
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [REDOCLY, 'lint', file, '--config', path.join(ROOT, 'redocly.yaml'), '--format=stylish'],
      { cwd: dir, env: { ...process.env, REDOCLY_TELEMETRY: 'off', NO_COLOR: '1' } },
    ).catch((error: { code?: number; stdout?: string; stderr?: string }) => ({
      stdout: `${error.stdout ?? ''}\nexit:${error.code ?? 1}`,
      stderr: error.stderr ?? '',
    }));
    const output = `${stdout}\n${stderr}`;
    const exit = /exit:(\d+)/.exec(output);
    return { code: exit ? Number(exit[1]) : 0, output };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Json = Record<string, unknown>;
type Paths = Record<string, Record<string, Json>>;
type Components = { schemas: Record<string, Json> };

/** The committed contract must satisfy the house rules, and the rules must catch what they are for. */
describe('OpenAPI lint rules (redocly.yaml)', () => {
  const committed = JSON.parse(readFileSync(path.join(ROOT, 'openapi.json'), 'utf8')) as Json;
  /** The committed document without the health routes (their exceptions live in .redocly.lint-ignore.yaml). */
  const clone = (): Json => {
    const doc = structuredClone(committed);
    const docPaths = doc.paths as Paths;
    delete docPaths['/api/v1/health'];
    delete docPaths['/api/v1/health/ready'];
    return doc;
  };

  it('passes as committed', async () => {
    const result = await lint(clone());
    expect(result).toEqual({ code: 0, output: expect.stringMatching(/valid/) as unknown });
  });

  it('flags an error answer that is not problem details', async () => {
    const doc = clone();
    const op = (doc.paths as Paths)['/api/v1/geography/provinces']?.get;
    expect(op).toBeDefined();
    (op!.responses as Json)['404'] = {
      description: 'Not found',
      content: { 'application/json': { schema: { type: 'object' } } },
    };
    const result = await lint(doc);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/eff\/problem-details-errors/);
  });

  it('flags an inline enum of choices, but not a single-value constant', async () => {
    const doc = clone();
    const schemas = (doc.components as Components).schemas;
    const user = schemas.UserDto as { properties: Record<string, Json> };
    user.properties.colour = { type: 'string', enum: ['red', 'green'] };
    user.properties.kind = { type: 'string', enum: ['user'] };
    const result = await lint(doc);
    expect(result.code).not.toBe(0);
    expect(result.output.match(/eff\/named-enums/g)).toHaveLength(1);
  });

  it('flags an operation without an operation id or without any 4xx answer', async () => {
    const doc = clone();
    const op = (doc.paths as Paths)['/api/v1/geography/provinces']?.get as Json;
    delete op.operationId;
    const responses = op.responses as Json;
    for (const status of Object.keys(responses))
      if (status.startsWith('4')) delete responses[status];
    const result = await lint(doc);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/operation-operationId/);
    expect(result.output).toMatch(/operation-4xx-response/);
  });

  it('flags an operation without a description, a summary not in sentence case and an undescribed tag', async () => {
    const doc = clone();
    const op = (doc.paths as Paths)['/api/v1/geography/provinces']?.get as Json;
    delete op.description;
    const users = (doc.paths as Paths)['/api/v1/users']?.get as Json;
    users.summary = 'list Users.';
    const tags = doc.tags as { name: string; description?: string }[];
    delete tags.find((tag) => tag.name === 'stats')!.description;
    const result = await lint(doc);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/operation-description/);
    expect(result.output).toMatch(/operation-summary-sentence-case/);
    expect(result.output).toMatch(/tag-description/);
  });
});
