// No imports: the CLI and the specs load this file directly.

/**
 * The changes between two OpenAPI 3.1 documents that break a client built against the older one: a removed
 * operation, success status or media type; a removed or no longer required response field; a response type
 * that widens (e.g. now null); a new required request field or parameter; a narrowed request type; a removed
 * request field; a removed enum value. Each has a stable id, which the approved-changes file lists to allow it.
 */

export interface BreakingChange {
  /** Stable: `kind location`, e.g. `response-property-removed GET /api/v1/users/{} 200 application/json .email`. */
  id: string;
  message: string;
}

export interface ApprovedChange {
  id: string;
  /** Why the break is acceptable (who was told, which release). */
  reason: string;
}

type Json = Record<string, unknown>;
type Direction = 'request' | 'response';

interface Schema {
  types: Set<string> | null;
  enum: unknown[] | null;
  properties: Map<string, unknown>;
  required: Set<string>;
  items: unknown;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];
const MAX_DEPTH = 12;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `/members/{id}/history` and `/members/{memberId}/history` are the same route. */
const routeKey = (template: string): string => template.replace(/\{[^}]+\}/g, '{}');

class DocumentView {
  constructor(private readonly document: Json) {}

  resolve(node: unknown, seen = new Set<string>()): Json {
    if (!isObject(node)) return {};
    const ref = node.$ref;
    if (typeof ref === 'string' && ref.startsWith('#/') && !seen.has(ref)) {
      seen.add(ref);
      let target: unknown = this.document;
      for (const part of ref.slice(2).split('/')) {
        target = isObject(target)
          ? target[part.replace(/~1/g, '/').replace(/~0/g, '~')]
          : undefined;
      }
      const { $ref: _ref, ...siblings } = node;
      return { ...this.resolve(target, seen), ...siblings };
    }
    return node;
  }

  /** One schema, with single allOf references and `oneOf: [X, { type: 'null' }]` folded into X (plus null). */
  schema(node: unknown): Schema {
    let schema = this.resolve(node);
    let nullable = false;
    for (let guard = 0; guard < MAX_DEPTH; guard++) {
      const allOf = schema.allOf;
      const oneOf = schema.oneOf ?? schema.anyOf;
      if (Array.isArray(allOf) && allOf.length === 1) {
        const { allOf: _allOf, ...rest } = schema;
        schema = { ...this.resolve(allOf[0]), ...rest };
      } else if (Array.isArray(oneOf) && oneOf.length === 2) {
        const others = oneOf.filter((member) => !(isObject(member) && member.type === 'null'));
        if (others.length !== 1) break;
        nullable = true;
        const { oneOf: _oneOf, anyOf: _anyOf, ...rest } = schema;
        schema = { ...this.resolve(others[0]), ...rest };
      } else {
        break;
      }
    }
    const declared = schema.type;
    let types: Set<string> | null = null;
    if (typeof declared === 'string') types = new Set([declared]);
    else if (Array.isArray(declared)) types = new Set(declared.map(String));
    if (types && nullable) types.add('null');
    const values = Array.isArray(schema.enum) ? (schema.enum as unknown[]) : null;
    const properties = isObject(schema.properties)
      ? new Map(Object.entries(schema.properties))
      : new Map<string, unknown>();
    const required = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
    return { types, enum: values, properties, required, items: schema.items };
  }

  operations(): Map<string, Json> {
    const result = new Map<string, Json>();
    const paths = isObject(this.document.paths) ? this.document.paths : {};
    for (const [template, item] of Object.entries(paths)) {
      if (!isObject(item)) continue;
      for (const method of METHODS) {
        const operation = item[method];
        if (isObject(operation))
          result.set(`${method.toUpperCase()} ${routeKey(template)}`, {
            ...operation,
            parameters: [
              ...(Array.isArray(item.parameters) ? (item.parameters as unknown[]) : []),
              ...(Array.isArray(operation.parameters) ? (operation.parameters as unknown[]) : []),
            ],
          });
      }
    }
    return result;
  }
}

const describeTypes = (types: Set<string> | null): string =>
  types ? [...types].sort().join(' | ') : 'any';

export function findBreakingChanges(base: Json, revision: Json): BreakingChange[] {
  const before = new DocumentView(base);
  const after = new DocumentView(revision);
  const changes = new Map<string, BreakingChange>();
  const report = (kind: string, where: string, message: string): void => {
    const id = `${kind} ${where}`;
    changes.set(id, { id, message: `${where}: ${message}` });
  };

  const compareSchemas = (
    oldNode: unknown,
    newNode: unknown,
    direction: Direction,
    where: string,
    depth: number,
  ): void => {
    if (depth > MAX_DEPTH) return;
    const was = before.schema(oldNode);
    const is = after.schema(newNode);
    if (was.types && is.types) {
      if (direction === 'request' && [...was.types].some((t) => !is.types!.has(t)))
        report(
          'request-type-narrowed',
          where,
          `accepted ${describeTypes(was.types)}, now only ${describeTypes(is.types)}`,
        );
      if (direction === 'response' && [...is.types].some((t) => !was.types!.has(t)))
        report(
          'response-type-widened',
          where,
          `was ${describeTypes(was.types)}, may now be ${describeTypes(is.types)}`,
        );
    }
    if (was.enum && is.enum) {
      const removed = was.enum.filter((value) => !is.enum!.includes(value));
      for (const value of removed)
        report(`enum-value-removed`, `${where} ${JSON.stringify(value)}`, 'enum value removed');
    }
    for (const [name, oldProperty] of was.properties) {
      const newProperty = is.properties.get(name);
      const at = `${where}.${name}`;
      if (newProperty === undefined) {
        report(`${direction}-property-removed`, at, 'property removed');
        continue;
      }
      if (direction === 'response' && was.required.has(name) && !is.required.has(name))
        report('response-property-optional', at, 'no longer always present');
      compareSchemas(oldProperty, newProperty, direction, at, depth + 1);
    }
    if (direction === 'request')
      for (const name of is.required)
        if (!was.required.has(name))
          report('request-property-required', `${where}.${name}`, 'new required property');
    if (was.items !== undefined && is.items !== undefined)
      compareSchemas(was.items, is.items, direction, `${where}[]`, depth + 1);
  };

  const newOperations = after.operations();
  for (const [key, oldOperation] of before.operations()) {
    const newOperation = newOperations.get(key);
    if (!newOperation) {
      report('operation-removed', key, 'operation removed');
      continue;
    }
    const parameters = (operation: Json) =>
      new Map(
        (operation.parameters as unknown[])
          .map((p) => (operation === oldOperation ? before : after).resolve(p))
          .map((p) => [`${String(p.in)} ${String(p.name)}`, p] as const),
      );
    const oldParameters = parameters(oldOperation);
    const newParameters = parameters(newOperation);
    for (const [name, parameter] of newParameters) {
      const old = oldParameters.get(name);
      if (parameter.required === true && old?.required !== true)
        report('request-parameter-required', `${key} ${name}`, 'new required parameter');
      if (old) compareSchemas(old.schema, parameter.schema, 'request', `${key} ${name}`, 0);
    }
    for (const name of oldParameters.keys())
      if (!newParameters.has(name) && !name.startsWith('header '))
        report('request-parameter-removed', `${key} ${name}`, 'parameter removed');

    const oldBody = before.resolve(oldOperation.requestBody);
    const newBody = after.resolve(newOperation.requestBody);
    if (newBody.required === true && oldBody.required !== true)
      report('request-body-required', key, 'request body now required');
    const oldBodyContent = isObject(oldBody.content) ? oldBody.content : {};
    const newBodyContent = isObject(newBody.content) ? newBody.content : {};
    for (const [mediaType, media] of Object.entries(oldBodyContent)) {
      const now = newBodyContent[mediaType];
      if (!isObject(now)) {
        report('request-media-type-removed', `${key} ${mediaType}`, 'no longer accepted');
        continue;
      }
      compareSchemas(
        isObject(media) ? media.schema : undefined,
        now.schema,
        'request',
        `${key} ${mediaType} body`,
        0,
      );
    }

    const oldResponses = isObject(oldOperation.responses) ? oldOperation.responses : {};
    const newResponses = isObject(newOperation.responses) ? newOperation.responses : {};
    for (const [status, oldResponse] of Object.entries(oldResponses)) {
      if (!/^2/.test(status)) continue;
      const newResponse = newResponses[status];
      if (newResponse === undefined) {
        report('response-status-removed', `${key} ${status}`, 'success status removed');
        continue;
      }
      const oldContent = before.resolve(oldResponse).content;
      const newContent = after.resolve(newResponse).content;
      if (!isObject(oldContent)) continue;
      for (const [mediaType, media] of Object.entries(oldContent)) {
        const now = isObject(newContent) ? newContent[mediaType] : undefined;
        if (!isObject(now)) {
          report('response-media-type-removed', `${key} ${status} ${mediaType}`, 'removed');
          continue;
        }
        compareSchemas(
          isObject(media) ? media.schema : undefined,
          now.schema,
          'response',
          `${key} ${status} ${mediaType} body`,
          0,
        );
      }
    }
  }
  return [...changes.values()].sort((a, b) => a.id.localeCompare(b.id));
}

/** The breaking changes not listed in approved. */
export function unapprovedChanges(
  changes: BreakingChange[],
  approved: ApprovedChange[],
): BreakingChange[] {
  const ids = new Set(approved.map((change) => change.id));
  return changes.filter((change) => !ids.has(change.id));
}
