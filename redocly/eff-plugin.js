// House rules for openapi.json that Redocly's recommended set does not cover (see redocly.yaml).

const ERROR_STATUS = /^([45]\d\d|[45]XX|default)$/;
const PROBLEM_SCHEMA = '#/components/schemas/ProblemDetailsDto';

/** Every error answer is RFC 9457 problem details (application/problem+json, ProblemDetailsDto). */
function ProblemDetailsErrors() {
  return {
    Response: {
      enter(response, ctx) {
        if (!ERROR_STATUS.test(String(ctx.key))) return;
        const schema = response.content?.['application/problem+json']?.schema;
        if (schema?.$ref === PROBLEM_SCHEMA) return;
        ctx.report({
          message: `Error response ${String(ctx.key)} must be application/problem+json with ProblemDetailsDto (use @ApiProblems).`,
          location: ctx.location,
        });
      },
    },
  };
}

/** Enums live in components.schemas under a name, so generated clients get one named type per enum. */
function NamedEnums() {
  return {
    Schema: {
      enter(schema, ctx) {
        // A single value is a constant (e.g. `status: 'received'`), not a choice: no name needed.
        if (!Array.isArray(schema.enum) || schema.enum.length < 2) return;
        if (/^#\/components\/schemas\/[^/]+$/.test(ctx.location.pointer)) return;
        ctx.report({
          message: 'Inline enum: name it (enumName in @ApiProperty / @ApiQuery).',
          location: ctx.location.child('enum'),
        });
      },
    },
  };
}

export default function effPlugin() {
  return {
    id: 'eff',
    rules: {
      oas3: {
        'problem-details-errors': ProblemDetailsErrors,
        'named-enums': NamedEnums,
      },
    },
  };
}
