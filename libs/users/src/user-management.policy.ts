import {
  AreaChain,
  AuthUser,
  coversScope,
  Role,
  ROLE_SCOPE_LEVEL,
  Scope,
  ScopeLevel,
} from '@app/auth';

/** Lower is more senior. Auditors and members rank below every admin. */
const ROLE_RANK: Record<Role, number> = {
  [Role.SuperAdmin]: 0,
  [Role.NationalAdmin]: 1,
  [Role.ProvincialAdmin]: 2,
  [Role.RegionalAdmin]: 3,
  [Role.SubregionalAdmin]: 4,
  [Role.WardAdmin]: 5,
  [Role.Auditor]: 6,
  [Role.Member]: 7,
  /** Below every admin, like an auditor: a provincial admin may appoint one in their province. */
  [Role.FinanceOfficer]: 6,
};

/** Why the role does not fit the scope level, or null. */
export function roleScopeProblem(role: Role, scope: Scope): string | null {
  const required = ROLE_SCOPE_LEVEL[role];
  if (required && scope.level !== required) return `role ${role} must have scope level ${required}`;
  if (scope.level === ScopeLevel.National ? scope.code !== null : !scope.code)
    return scope.level === ScopeLevel.National
      ? 'a national scope has no code'
      : 'scopeCode is required for this level';
  return null;
}

/**
 * Whether `actor` may give (or hold authority over) an account with `role` at `scope` whose area chain is
 * `chain`: only at or below the actor's own level, inside the actor's area, only a strictly more junior role
 * (a peer may not reset, disable or re-role a peer, nor create one), and national roles only by a super admin.
 */
export function mayAdminister(
  actor: AuthUser,
  role: Role,
  scope: Scope,
  chain: AreaChain | null,
): boolean {
  if (actor.role === Role.SuperAdmin) return true;
  if (role === Role.SuperAdmin) return false;
  if (scope.level === ScopeLevel.National) return false;
  if (ROLE_RANK[role] <= ROLE_RANK[actor.role]) return false;
  return coversScope(actor, scope, chain);
}
