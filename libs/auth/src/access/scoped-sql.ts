import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { isValidScope, Scope, ScopeLevel } from '../scope.js';

/** The denormalised area columns every scoped table carries (province_code … ward_code). */
const COLUMN: Record<Exclude<ScopeLevel, ScopeLevel.National>, string> = {
  [ScopeLevel.Province]: 'province_code',
  [ScopeLevel.District]: 'district_code',
  [ScopeLevel.Municipality]: 'municipality_code',
  [ScopeLevel.Ward]: 'ward_code',
};

function checkAlias(alias: string): void {
  if (!/^[a-z_][a-z0-9_]*$/i.test(alias)) throw new Error(`Unsafe alias ${alias}`);
}

/**
 * Hand-written SQL with positional parameters ($1, $2, …): values are never spliced into the text. `scope()`
 * restricts an alias to the caller's scope; an invalid or missing scope matches nothing.
 */
export class ScopedSql {
  readonly values: unknown[] = [];

  param(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  scope(scope: Scope | null | undefined, alias: string): string {
    checkAlias(alias);
    if (!isValidScope(scope)) return '1 = 0';
    if (scope.level === ScopeLevel.National) return '1 = 1';
    return `${alias}.${COLUMN[scope.level]} = ${this.param(scope.code)}`;
  }
}

export interface NamedPredicate {
  sql: string;
  params: Record<string, string>;
}

let parameterCounter = 0;

/**
 * The scope of `alias` as SQL with a named parameter (`:scope_n`), for TypeORM query builders and
 * `escapeQueryWithParameters`. An invalid or missing scope matches nothing. Prefer `scoped(qb, …)`.
 */
export function scopeWhere(scope: Scope | null | undefined, alias: string): NamedPredicate {
  checkAlias(alias);
  if (!isValidScope(scope)) return { sql: '1 = 0', params: {} };
  if (scope.level === ScopeLevel.National) return { sql: '1 = 1', params: {} };
  parameterCounter = (parameterCounter + 1) % 1_000_000;
  const name = `scope_${parameterCounter}`;
  return {
    sql: `${alias}.${COLUMN[scope.level]} = :${name}`,
    params: { [name]: scope.code as string },
  };
}

/** The former name of scopeWhere, kept for libs/members/src/imports. */
export const scopePredicate = scopeWhere;

/** Restricts a TypeORM query builder's `alias` to `scope` (AND). Returns the builder. */
export function scoped<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  scope: Scope | null | undefined,
  alias: string,
): SelectQueryBuilder<T> {
  const p = scopeWhere(scope, alias);
  return qb.andWhere(p.sql, p.params);
}
