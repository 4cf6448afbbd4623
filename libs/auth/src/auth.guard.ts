import { ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { AppException, ErrorCode, IS_PUBLIC_KEY, RequestContext } from '@app/core';
import { AuthUser } from './auth-user.js';
import {
  AUTHENTICATED,
  MFA_ENROLMENT_ROUTE_KEY,
  PASSWORD_CHANGE_ROUTE_KEY,
  PERMISSION_KEY,
} from './require-permission.decorator.js';
import { Permission, roleHasPermission } from './roles.js';
import { unauthenticated } from './token.service.js';

/**
 * The global guard: every HTTP route needs @Public(), @Authenticated() or @RequirePermission(); a route with
 * none is refused (fail closed). Authenticates with passport-jwt, then checks the role's permission. A session
 * with a pending password change reaches only the routes marked @PasswordChangeRoute().
 */
@Injectable()
export class AuthenticationGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)) return true;
    const permission = this.reflector.getAllAndOverride<Permission | typeof AUTHENTICATED>(
      PERMISSION_KEY,
      targets,
    );
    if (!permission) throw AppException.forbidden('This route declares no permission');

    await super.canActivate(context);
    const user = context.switchToHttp().getRequest<{ user?: AuthUser }>().user;
    if (!user) throw unauthenticated();
    RequestContext.setUser(user.id);
    if (
      user.mfaEnrolmentOnly &&
      !this.reflector.getAllAndOverride<boolean>(MFA_ENROLMENT_ROUTE_KEY, targets)
    ) {
      throw new AppException(
        HttpStatus.FORBIDDEN,
        ErrorCode.MfaEnrolmentRequired,
        'This token only sets up two-factor authentication (POST /api/v1/auth/mfa/enrolment, then /confirm); sign in again afterwards',
      );
    }
    if (
      user.passwordChangeRequired &&
      !this.reflector.getAllAndOverride<boolean>(PASSWORD_CHANGE_ROUTE_KEY, targets)
    ) {
      throw new AppException(
        HttpStatus.FORBIDDEN,
        ErrorCode.PasswordChangeRequired,
        'Your password was reset by an administrator: change it (POST /api/v1/auth/change-password), then sign in again',
      );
    }
    if (permission !== AUTHENTICATED && !roleHasPermission(user.role, permission)) {
      throw AppException.forbidden(`Your role may not ${permission.replace(':', ' ')}`);
    }
    return true;
  }

  override handleRequest<TUser = AuthUser>(error: unknown, user: TUser | false): TUser {
    if (error instanceof AppException) throw error;
    if (error || !user) throw unauthenticated();
    return user;
  }
}
