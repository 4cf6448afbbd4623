// No Nest imports: unit specs load this file directly.

type SchemaNode = Record<string, unknown>;

const isNode = (value: unknown): value is SchemaNode =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * One schema object, rewritten from the OpenAPI 3.0 dialect @nestjs/swagger writes to 3.1's JSON Schema 2020-12:
 * `nullable: true` becomes `type: [T, 'null']` (with null among the values of an enum), and a nullable reference
 * (`allOf: [{ $ref }]` or `$ref`, with `nullable` beside it, which 3.0 validators ignore) becomes
 * `oneOf: [{ $ref }, { type: 'null' }]`, so every strict validator and generator reads "this or null".
 */
function toJsonSchema2020(schema: SchemaNode): void {
  if (schema.nullable !== true) return;
  delete schema.nullable;
  const allOf = schema.allOf;
  const onlyRef =
    Array.isArray(allOf) &&
    allOf.length === 1 &&
    isNode(allOf[0]) &&
    typeof allOf[0].$ref === 'string'
      ? allOf[0].$ref
      : typeof schema.$ref === 'string'
        ? schema.$ref
        : null;
  if (onlyRef !== null) {
    delete schema.allOf;
    delete schema.$ref;
    delete schema.type;
    schema.oneOf = [{ $ref: onlyRef }, { type: 'null' }];
    return;
  }
  if (typeof schema.type === 'string') schema.type = [schema.type, 'null'];
  const values: unknown = schema.enum;
  if (Array.isArray(values) && !values.includes(null))
    schema.enum = [...(values as unknown[]), null];
}

/** Every schema object under node (components, parameters, request and response bodies), rewritten for 3.1. */
function rewriteSchemas(node: unknown, isSchema: boolean): void {
  if (Array.isArray(node)) {
    for (const item of node) rewriteSchemas(item, isSchema);
    return;
  }
  if (!isNode(node)) return;
  if (isSchema) toJsonSchema2020(node);
  for (const [key, value] of Object.entries(node)) {
    const childIsSchema =
      key === 'schema' ||
      key === 'items' ||
      key === 'additionalProperties' ||
      key === 'not' ||
      (isSchema && ['allOf', 'oneOf', 'anyOf'].includes(key));
    if (isSchema && key === 'properties' && isNode(value)) {
      for (const property of Object.values(value)) rewriteSchemas(property, true);
    } else if (key === 'schemas' && isNode(value) && !isSchema) {
      for (const named of Object.values(value)) rewriteSchemas(named, true);
    } else {
      rewriteSchemas(value, childIsSchema);
    }
  }
}

/** The document as OpenAPI 3.1 (JSON Schema 2020-12 schemas), which strict tools read the same way. */
export function toOpenApi31<T extends { openapi: string }>(document: T): T {
  rewriteSchemas(document, false);
  document.openapi = '3.1.0';
  return document;
}
