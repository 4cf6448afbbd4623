import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { Role } from './roles.js';
import { Scope } from './scope.js';

/** The authenticated caller, put on `request.user` by the global guard. */
export interface AuthUser {
  id: string;
  email: string;
  role: Role;
  scope: Scope;
  memberId: string | null;
  sessionId: string;
  /** The session may only change the password (and sign out) until it is changed. */
  passwordChangeRequired: boolean;
  /**
   * An enrolment-only session (sign-in refused with MFA_ENROLMENT_REQUIRED): it reaches only the routes marked
   * @MfaEnrolmentRoute() until TOTP is set up.
   */
  mfaEnrolmentOnly?: boolean;
}

export class MissingAuthenticationError extends Error {
  constructor() {
    super(
      '@CurrentUser() used on a route the authentication guard did not run for (is it @Public()?)',
    );
  }
}

/** The caller of the request in `ctx`; throws when authentication never ran. */
export function currentUserOf(ctx: ExecutionContext): AuthUser {
  const request = ctx.switchToHttp().getRequest<{ user?: AuthUser }>();
  if (!request.user) throw new MissingAuthenticationError();
  return request.user;
}

/** The caller. Throws (a 500, loudly) when authentication never ran, instead of yielding undefined. */
export const CurrentUser = createParamDecorator((_data: unknown, ctx: ExecutionContext) =>
  currentUserOf(ctx),
);
