import type { ExecutionContext } from '@nestjs/common';
import { AuthUser, currentUserOf, MissingAuthenticationError } from './auth-user.js';
import { Role } from './roles.js';
import { ScopeLevel } from './scope.js';

const contextWith = (request: { user?: AuthUser }): ExecutionContext =>
  ({ switchToHttp: () => ({ getRequest: () => request }) }) as unknown as ExecutionContext;

describe('@CurrentUser()', () => {
  it('yields the user the guard put on the request', () => {
    const user: AuthUser = {
      id: 'u1',
      email: 'a@example.org',
      role: Role.WardAdmin,
      scope: { level: ScopeLevel.Ward, code: '79800001' },
      memberId: null,
      sessionId: 's1',
      passwordChangeRequired: false,
    };
    expect(currentUserOf(contextWith({ user }))).toBe(user);
  });

  it('throws when authentication never ran, instead of yielding undefined', () => {
    expect(() => currentUserOf(contextWith({}))).toThrow(MissingAuthenticationError);
  });
});
