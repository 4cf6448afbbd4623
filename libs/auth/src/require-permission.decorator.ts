import { applyDecorators, HttpStatus, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension } from '@nestjs/swagger';
import { ApiProblems } from '@app/core';
import { Permission } from './roles.js';

export const PERMISSION_KEY = 'eff:permission';
export const AUTHENTICATED = 'authenticated';
export const PASSWORD_CHANGE_ROUTE_KEY = 'eff:password-change-route';
export const MFA_ENROLMENT_ROUTE_KEY = 'eff:mfa-enrolment-route';

/**
 * Declares the permission a route needs and documents it (bearer auth, 401, 403, x-required-permission).
 * The global guard enforces it; routes without it or @Public() are refused.
 */
export function RequirePermission(permission: Permission): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(PERMISSION_KEY, permission),
    ApiBearerAuth('bearer'),
    ApiExtension('x-required-permission', permission),
    ApiProblems(HttpStatus.UNAUTHORIZED, HttpStatus.FORBIDDEN),
  );
}

/** Any signed-in user, whatever the role (e.g. /auth/me). */
export function Authenticated(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(PERMISSION_KEY, AUTHENTICATED),
    ApiBearerAuth('bearer'),
    ApiExtension('x-required-permission', AUTHENTICATED),
    ApiProblems(HttpStatus.UNAUTHORIZED, HttpStatus.FORBIDDEN),
  );
}

/**
 * A route a session with a pending password change may call (change-password, logout). Every other
 * authenticated route answers it 403 PASSWORD_CHANGE_REQUIRED.
 */
export function PasswordChangeRoute(): MethodDecorator {
  return SetMetadata(PASSWORD_CHANGE_ROUTE_KEY, true);
}

/**
 * A route an enrolment-only session (the enrolmentToken of a 403 MFA_ENROLMENT_REQUIRED) may call: TOTP
 * enrolment, its status and logout. Every other authenticated route answers it 403 MFA_ENROLMENT_REQUIRED.
 */
export function MfaEnrolmentRoute(): MethodDecorator {
  return SetMetadata(MFA_ENROLMENT_ROUTE_KEY, true);
}
