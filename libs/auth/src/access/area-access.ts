import { AppException } from '@app/core';
import {
  AreaChain,
  isValidScope,
  Scope,
  SCOPE_DEPTH,
  scopeContains,
  scopeCovers,
  ScopeLevel,
} from '../scope.js';

/** Who is asking: only the scope matters to access. */
export interface ScopedActor {
  scope: Scope;
}

/** Whether a record at `area` lies inside the actor's scope (fails closed). */
export function withinScope(actor: ScopedActor, area: AreaChain | null | undefined): boolean {
  return scopeContains(actor.scope, area);
}

/** 403 with `message` unless `area` (e.g. the ward a member is created or transferred in) lies inside the scope. */
export function requireWithinScope(
  actor: ScopedActor,
  area: AreaChain | null | undefined,
  message: string,
): void {
  if (!withinScope(actor, area)) throw AppException.forbidden(message);
}

/**
 * Whether the area `scope` (with its chain) lies at or below the actor's own level and inside the actor's area:
 * the area of an account the actor may administer.
 */
export function coversScope(actor: ScopedActor, scope: Scope, chain: AreaChain | null): boolean {
  if (!isValidScope(scope) || !isValidScope(actor.scope)) return false;
  if (SCOPE_DEPTH[scope.level] < SCOPE_DEPTH[actor.scope.level]) return false;
  return scopeCovers(actor.scope, scope, chain);
}

/**
 * Whether an area (`level`/`code` with its chain) overlaps the actor's scope: it lies inside the scope, or the
 * actor's own area lies inside it (statistics then cover only the actor's part). `ownChain` resolves the chain
 * of the actor's own area; it is asked only when needed.
 */
export async function overlapsScope(
  actor: ScopedActor,
  level: ScopeLevel,
  code: string,
  chain: AreaChain,
  ownChain: () => Promise<AreaChain | null>,
): Promise<boolean> {
  if (scopeContains(actor.scope, chain)) return true;
  const own = actor.scope;
  if (!isValidScope(own) || own.level === ScopeLevel.National) return false;
  if (level === ScopeLevel.National || SCOPE_DEPTH[own.level] <= SCOPE_DEPTH[level]) return false;
  return scopeContains({ level, code }, await ownChain());
}
