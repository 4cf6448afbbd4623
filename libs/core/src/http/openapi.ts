import { HttpStatus, INestApplication, Type } from '@nestjs/common';
import { ModulesContainer, Reflector } from '@nestjs/core';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ProblemDetailsDto } from '../errors/problem-details.dto.js';
import { PROBLEM_CONTENT_TYPE } from '../errors/problem-details.filter.js';
import { ErrorCode } from '../errors/error-code.js';
import {
  ERROR_CODES_KEY,
  PROBLEM_DESCRIPTIONS,
  RouteErrorCodes,
} from './api-problems.decorator.js';
import { IS_PUBLIC_KEY } from './public.decorator.js';
import { toOpenApi31 } from './openapi-31.js';

type OperationObject = NonNullable<OpenAPIObject['paths'][string]['get']>;
type ResponseObject = OperationObject['responses'][string];

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
/** @nestjs/throttler's metadata key for @SkipThrottle() of the 'default' throttler. */
const SKIP_DEFAULT_THROTTLE = 'THROTTLER:SKIPdefault';

/**
 * `UsersController` + `list` -> `usersList`: stable (code names, not paths) and unique per controller. A method
 * named like the controller's end does not repeat it: `MemberExportController` + `export` -> `memberExport`.
 */
export function operationId(controllerKey: string, methodKey: string): string {
  const base = controllerKey.replace(/Controller$/, '');
  const method = `${methodKey.charAt(0).toUpperCase()}${methodKey.slice(1)}`;
  const name = base.endsWith(method) ? base : `${base}${method}`;
  return `${name.charAt(0).toLowerCase()}${name.slice(1)}`;
}

/** `listProvinces` -> `List provinces`: the summary of a route that declares none with @ApiOperation. */
function humanize(methodKey: string): string {
  const words = methodKey.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return `${words.charAt(0).toUpperCase()}${words.slice(1)}`;
}

interface RouteFacts {
  methodKey: string;
  isPublic: boolean;
  throttled: boolean;
  errorCodes: RouteErrorCodes;
}

/** The codes an error status carries on any route; @ApiErrorCodes names a route's own. */
const SHARED_ERROR_CODES: RouteErrorCodes = {
  [HttpStatus.BAD_REQUEST]: [ErrorCode.ValidationFailed, ErrorCode.MalformedJson],
  [HttpStatus.UNAUTHORIZED]: [ErrorCode.Unauthenticated],
  [HttpStatus.FORBIDDEN]: [ErrorCode.Forbidden, ErrorCode.PasswordChangeRequired],
  [HttpStatus.NOT_FOUND]: [ErrorCode.NotFound],
  [HttpStatus.CONFLICT]: [ErrorCode.Conflict],
  [HttpStatus.PAYLOAD_TOO_LARGE]: [ErrorCode.PayloadTooLarge],
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: [ErrorCode.UnsupportedMediaType],
  [HttpStatus.TOO_MANY_REQUESTS]: [ErrorCode.RateLimited],
  [HttpStatus.SERVICE_UNAVAILABLE]: [ErrorCode.ServiceUnavailable],
};

/** Tags and what they cover; every operation has one of them (the lint fails on an undescribed tag). */
const TAGS: [string, string][] = [
  [
    'auth',
    'Sign-in, tokens and your own password. Access tokens are short-lived; refresh tokens rotate on use.',
  ],
  [
    'users',
    'Staff accounts: role (what you may do) and scope (where: national, a province, district, municipality or ward). You manage only accounts strictly junior to yours, inside your scope.',
  ],
  [
    'geography',
    'South African provinces, districts, municipalities and wards (reference data, public).',
  ],
  [
    'members',
    'The membership register inside your scope: registration, edits, statuses, renewals, transfers, history and exports. A member outside your area answers 404.',
  ],
  [
    'member-imports',
    'Bulk registration from a branch register (CSV or XLSX): upload, background job with progress, rejection report, retry.',
  ],
  [
    'applications',
    'Public membership applications and their review, approval (which creates the member) or rejection.',
  ],
  [
    'messaging',
    'Email and SMS the API sends (password resets, notices) through a transactional outbox: delivery status and provider delivery reports.',
  ],
  ['privacy', 'POPIA: access requests, consent, objection to contact and erasure of a member.'],
  [
    'leadership',
    'Command structures (BCT to CCT and the War Council), positions and appointments with their full history.',
  ],
  [
    'branches',
    'Branch life: ward and structure meetings, attendance and quorum, four-eyes verification, the ward audit and assembly delegates.',
  ],
  [
    'registration-conflicts',
    'Registrations refused because the person is a member elsewhere: recorded for the national office.',
  ],
  [
    'me',
    "The member portal: claim your account with your ID and membership numbers, then read your own membership and update your contact details. Always the signed-in member's own record.",
  ],
  [
    'cards',
    'Digital membership cards: a PDF with a QR code carrying an Ed25519-signed token, public verification of a scanned card, the public keys (JWKS), revocation.',
  ],
  ['stats', 'Membership statistics from materialized views, restricted to your scope and cached.'],
  [
    'payments',
    'Payments of members (renewals) and applications (joining fees): recorded pending, verified or rejected by a second user (four eyes); card payments through the PayFast hosted checkout and its notification.',
  ],
  ['health', 'Liveness and readiness for load balancers and orchestrators.'],
];

/** What the OpenAPI scanner cannot see, read from each route handler's Nest metadata, by operation id. */
function routeFacts(app: INestApplication): Map<string, RouteFacts> {
  const reflector = new Reflector();
  const facts = new Map<string, RouteFacts>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Type | null;
      if (!controller) continue;
      for (const methodKey of Object.getOwnPropertyNames(controller.prototype)) {
        if (methodKey === 'constructor') continue;
        const handler: unknown = Object.getOwnPropertyDescriptor(
          controller.prototype,
          methodKey,
        )?.value;
        if (typeof handler !== 'function') continue;
        const targets = [handler, controller];
        facts.set(operationId(controller.name, methodKey), {
          methodKey,
          isPublic: reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets) === true,
          throttled: reflector.getAllAndOverride<boolean>(SKIP_DEFAULT_THROTTLE, targets) !== true,
          errorCodes:
            (Reflect.getMetadata(ERROR_CODES_KEY, handler) as RouteErrorCodes | undefined) ?? {},
        });
      }
    }
  }
  return facts;
}

const problemResponse = (description: string): ResponseObject => ({
  description,
  content: {
    [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/ProblemDetailsDto' } },
  },
});

/**
 * Completes an operation from its route's metadata, so every route documents the same cross-cutting facts:
 * public routes say `security: []`; throttled routes may answer 429; every error is problem details
 * (`default`); a summary exists.
 */
function complete(operation: OperationObject, facts: RouteFacts | undefined): void {
  if (facts?.isPublic && !operation.security) operation.security = [];
  if (facts && !operation.summary) operation.summary = humanize(facts.methodKey);
  const responses = { ...operation.responses };
  if (facts?.throttled && !responses[HttpStatus.TOO_MANY_REQUESTS]) {
    responses[HttpStatus.TOO_MANY_REQUESTS] = problemResponse('Rate limited; see Retry-After');
  }
  responses.default = problemResponse('Error (problem details)');
  for (const status of Object.keys(facts?.errorCodes ?? {})) {
    responses[status] ??= problemResponse(
      PROBLEM_DESCRIPTIONS[Number(status) as HttpStatus] ?? 'Error',
    );
  }
  for (const [status, response] of Object.entries(responses)) {
    if (!/^4\d\d$/.test(status) || !response || !('description' in response)) continue;
    const codes = facts?.errorCodes[Number(status)] ?? SHARED_ERROR_CODES[Number(status)] ?? [];
    if (codes.length === 0) continue;
    responses[status] = {
      ...response,
      description: `${response.description}. Codes: ${codes.join(', ')}`,
      'x-error-codes': codes,
    } as ResponseObject;
  }
  operation.responses = responses;
}

/** The OpenAPI document the frontend's client is generated from; also served at /docs-json. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('EFF Membership API')
    .setDescription(
      'Members, users, leadership and South African geography for the EFF membership portal. ' +
        'Every error is an RFC 9457 problem-details body (application/problem+json) with a machine-readable `code`. ' +
        'Routes live under /api/v1; send the access token from POST /api/v1/auth/login as `Authorization: Bearer`.',
    )
    .setVersion('1')
    .setLicense('Proprietary: Economic Freedom Fighters', 'https://www.effonline.org')
    .addServer('/', 'The server that serves this document')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer');
  for (const [name, description] of TAGS) config.addTag(name, description);
  const built = config.build();
  const document = SwaggerModule.createDocument(app, built, {
    operationIdFactory: operationId,
    extraModels: [ProblemDetailsDto],
  });
  const facts = routeFacts(app);
  for (const pathItem of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = pathItem[method];
      if (operation) complete(operation, facts.get(operation.operationId ?? ''));
    }
  }
  return toOpenApi31(document);
}
