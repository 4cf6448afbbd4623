import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import * as ajvFormats from 'ajv-formats';

/**
 * Checks every answer the e2e suite receives against the OpenAPI document the API serves: the status must be
 * declared for the operation (or covered by its `default`), the content type must be one the answer declares,
 * and a JSON body must validate against the declared schema (JSON Schema 2020-12, as OpenAPI 3.1 says).
 */

type Json = Record<string, unknown>;

export interface ObservedResponse {
  method: string;
  /** The request path, with or without a query string. */
  url: string;
  status: number;
  contentType: string | undefined;
  /** The parsed JSON body when the answer is JSON; anything otherwise. */
  body: unknown;
  /** Whether the answer carried a body at all. */
  hasBody: boolean;
}

interface Operation {
  template: string;
  pattern: RegExp;
  /** Literal path segments: with two templates matching, the more literal one wins (/imports/{id} over /{id}). */
  literals: number;
  method: string;
  responses: Record<string, Json>;
}

const DOCUMENT_ID = 'https://contract.test/openapi.json';
const PROBLEM = { $ref: '#/components/schemas/ProblemDetailsDto' };

const isJson = (mediaType: string): boolean =>
  mediaType === 'application/json' || /\+json$/.test(mediaType);

/** `#/components/...` inside a schema compiled on its own points at the document the validator holds. */
function anchorRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(anchorRefs);
  if (typeof node !== 'object' || node === null) return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) => [
      key,
      key === '$ref' && typeof value === 'string' && value.startsWith('#/')
        ? `${DOCUMENT_ID}${value}`
        : anchorRefs(value),
    ]),
  );
}

const addFormats = (ajvFormats as unknown as { default: (ajv: Ajv2020) => Ajv2020 }).default;

export class ContractValidator {
  private readonly operations: Operation[] = [];
  private readonly ajv: Ajv2020;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(document: Json) {
    const components = (document.components ?? {}) as Json;
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: DOCUMENT_ID, components: anchorRefs(components) });
    for (const [template, item] of Object.entries((document.paths ?? {}) as Record<string, Json>)) {
      const segments = template.split('/');
      const pattern = new RegExp(
        `^${segments.map((s) => (/^\{.+\}$/.test(s) ? '[^/]+' : s.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))).join('/')}$`,
      );
      for (const [method, operation] of Object.entries(item)) {
        const responses = (operation as Json | undefined)?.responses;
        if (typeof responses !== 'object' || responses === null) continue;
        this.operations.push({
          template,
          pattern,
          literals: segments.filter((s) => !s.startsWith('{')).length,
          method: method.toUpperCase(),
          responses: responses as Record<string, Json>,
        });
      }
    }
    this.operations.sort((a, b) => b.literals - a.literals);
  }

  /** The served document of a running API (GET /docs-json), or the committed one when it serves none. */
  static async forServer(baseUrl: string): Promise<ContractValidator> {
    const res = await fetch(`${baseUrl}/docs-json`).catch(() => null);
    if (res?.ok) return new ContractValidator((await res.json()) as Json);
    const committed = path.resolve(import.meta.dirname, '../../openapi.json');
    return new ContractValidator(JSON.parse(readFileSync(committed, 'utf8')) as Json);
  }

  /** Every way the answer breaks the document; empty when it keeps it. */
  check(response: ObservedResponse): string[] {
    const requestPath = response.url.split('?')[0] ?? '';
    const method = response.method.toUpperCase();
    // CORS preflights and anything outside the API (Swagger UI, metrics) are not part of the document.
    if (method === 'OPTIONS' || !requestPath.startsWith('/api/')) return [];
    const lookup = method === 'HEAD' ? 'GET' : method;
    const operation = this.operations.find(
      (op) => op.method === lookup && op.pattern.test(requestPath),
    );
    const where = `${method} ${requestPath} -> ${response.status}`;
    if (!operation) {
      if (response.status < 400)
        return [`${where}: no operation in the document answers ${method} ${requestPath}`];
      return this.checkBody(where, 'problem', PROBLEM, response);
    }
    const status = String(response.status);
    const declared =
      operation.responses[status] ??
      operation.responses[`${status[0]}XX`] ??
      // `default` is the problem-details answer to an error; a success must be declared itself.
      (response.status >= 400 ? operation.responses.default : undefined);
    if (!declared)
      return [`${where}: ${operation.method} ${operation.template} declares no ${status} answer`];
    const content = declared.content as Record<string, Json> | undefined;
    if (method === 'HEAD' || !response.hasBody) return [];
    if (!content) return [`${where}: the document declares no body, the answer has one`];
    const mediaType = (response.contentType ?? '').split(';')[0]!.trim().toLowerCase();
    const media = content[mediaType] ?? content['*/*'];
    if (!media)
      return [
        `${where}: content type ${mediaType || '(none)'} is not declared (declared: ${Object.keys(content).join(', ')})`,
      ];
    if (!isJson(mediaType) || !media.schema) return [];
    const key = `${operation.method} ${operation.template} ${status} ${mediaType}`;
    return this.checkBody(where, key, media.schema, response);
  }

  private checkBody(where: string, key: string, schema: unknown, response: ObservedResponse) {
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(anchorRefs(schema) as Json);
      this.compiled.set(key, validate);
    }
    if (validate(response.body)) return [];
    return (validate.errors ?? []).map(
      (error) =>
        `${where}: body${error.instancePath} ${error.message ?? 'is invalid'}` +
        (error.params && Object.keys(error.params).length > 0
          ? ` (${JSON.stringify(error.params)})`
          : ''),
    );
  }
}
