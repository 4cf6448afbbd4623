import { toOpenApi31 } from './openapi-31.js';

interface OpenAPIObject {
  openapi: string;
  components?: { schemas?: Record<string, unknown> };
}

const document = (schemas: Record<string, unknown>): OpenAPIObject =>
  ({
    openapi: '3.0.0',
    info: { title: 't', version: '1' },
    paths: {},
    components: { schemas },
  }) as OpenAPIObject;

describe('toOpenApi31', () => {
  it('writes nullable references, enums and plain types the way JSON Schema 2020-12 reads them', () => {
    const result = toOpenApi31(
      document({
        Status: { type: 'string', enum: ['a', 'b'] },
        Entry: {
          type: 'object',
          properties: {
            fromStatus: {
              allOf: [{ $ref: '#/components/schemas/Status' }],
              nullable: true,
              type: 'string',
              description: 'was',
            },
            member: { $ref: '#/components/schemas/Status', nullable: true },
            note: { type: 'string', nullable: true },
            kind: { type: 'string', enum: ['x', 'y'], nullable: true },
            tags: { type: 'array', items: { type: 'number', nullable: true } },
            status: { allOf: [{ $ref: '#/components/schemas/Status' }] },
          },
        },
      }),
    );
    expect(result.openapi).toBe('3.1.0');
    expect(result.components?.schemas?.Entry).toEqual({
      type: 'object',
      properties: {
        fromStatus: {
          oneOf: [{ $ref: '#/components/schemas/Status' }, { type: 'null' }],
          description: 'was',
        },
        member: { oneOf: [{ $ref: '#/components/schemas/Status' }, { type: 'null' }] },
        note: { type: ['string', 'null'] },
        kind: { type: ['string', 'null'], enum: ['x', 'y', null] },
        tags: { type: 'array', items: { type: ['number', 'null'] } },
        status: { allOf: [{ $ref: '#/components/schemas/Status' }] },
      },
    });
    expect(JSON.stringify(result)).not.toContain('nullable');
  });
});
