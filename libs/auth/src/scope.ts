/** The level of the country a user's authority covers. */
export enum ScopeLevel {
  National = 'national',
  Province = 'province',
  District = 'district',
  Municipality = 'municipality',
  Ward = 'ward',
}

/** What part of the country a user may see: `national` (code null) or one area of a level. */
export interface Scope {
  level: ScopeLevel;
  code: string | null;
}

/** Where a record sits: its ward and the ward's parents (the denormalised columns). */
export interface AreaChain {
  provinceCode: string;
  districtCode?: string | null;
  municipalityCode?: string | null;
  wardCode?: string | null;
}

export const SCOPE_DEPTH: Record<ScopeLevel, number> = {
  [ScopeLevel.National]: 0,
  [ScopeLevel.Province]: 1,
  [ScopeLevel.District]: 2,
  [ScopeLevel.Municipality]: 3,
  [ScopeLevel.Ward]: 4,
};

const CHAIN_KEY = {
  [ScopeLevel.Province]: 'provinceCode',
  [ScopeLevel.District]: 'districtCode',
  [ScopeLevel.Municipality]: 'municipalityCode',
  [ScopeLevel.Ward]: 'wardCode',
} as const satisfies Record<Exclude<ScopeLevel, ScopeLevel.National>, keyof AreaChain>;

function isScopeLevel(value: unknown): value is ScopeLevel {
  return typeof value === 'string' && (Object.values(ScopeLevel) as string[]).includes(value);
}

/** A well-formed scope: national without a code, any other level with one. Anything else is invalid. */
export function isValidScope(scope: Scope | null | undefined): scope is Scope {
  if (!scope || !isScopeLevel(scope.level)) return false;
  return scope.level === ScopeLevel.National
    ? scope.code === null
    : typeof scope.code === 'string' && scope.code.length > 0;
}

/** Whether the scope is the whole country (a well-formed national scope). */
export function isNational(scope: Scope | null | undefined): boolean {
  return isValidScope(scope) && scope.level === ScopeLevel.National;
}

/** A scope as a short key (`national`, `province:GP`): for cache keys and stored records. */
export function scopeKey(scope: Scope): string {
  return scope.level === ScopeLevel.National ? 'national' : `${scope.level}:${scope.code ?? ''}`;
}

/** The province a scope is confined to when it is exactly a province, else null. */
export function scopeProvinceCode(scope: Scope): string | null {
  return scope.level === ScopeLevel.Province ? scope.code : null;
}

/** Whether a record at `area` lies inside `scope`. Fails closed: an invalid scope contains nothing. */
export function scopeContains(
  scope: Scope | null | undefined,
  area: AreaChain | null | undefined,
): boolean {
  if (!isValidScope(scope) || !area) return false;
  if (scope.level === ScopeLevel.National) return true;
  return area[CHAIN_KEY[scope.level]] === scope.code;
}

/**
 * Whether the area `inner` (a scope whose chain is given) lies at or below `outer`.
 * E.g. outer = province GP, inner = municipality GT421 with chain { provinceCode: 'GP', ... } → true.
 */
export function scopeCovers(outer: Scope, inner: Scope, innerChain: AreaChain | null): boolean {
  if (!isValidScope(outer) || !isValidScope(inner)) return false;
  if (SCOPE_DEPTH[inner.level] < SCOPE_DEPTH[outer.level]) return false;
  if (outer.level === ScopeLevel.National) return true;
  if (inner.level === ScopeLevel.National) return false;
  return scopeContains(outer, innerChain);
}

/** The socket.io room names a scope's sockets join, and those an event at `area` is sent to. */
export function scopeRoom(scope: Scope): string | null {
  if (!isValidScope(scope)) return null;
  return scope.level === ScopeLevel.National
    ? 'scope:national'
    : `scope:${scope.level}:${scope.code as string}`;
}

export function roomsForArea(area: AreaChain): string[] {
  const rooms = ['scope:national', `scope:province:${area.provinceCode}`];
  if (area.districtCode) rooms.push(`scope:district:${area.districtCode}`);
  if (area.municipalityCode) rooms.push(`scope:municipality:${area.municipalityCode}`);
  if (area.wardCode) rooms.push(`scope:ward:${area.wardCode}`);
  return rooms;
}
