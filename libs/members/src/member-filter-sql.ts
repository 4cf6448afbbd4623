import { Scope, ScopedSql } from '@app/auth';
import { escapeLike } from '@app/core';
import type { MemberFiltersDto } from './dto/member.dto.js';
import { normaliseCellNumber } from './identity.js';

/** What q is: an exact identifier (an indexed equality) or a name fragment (trigram LIKE). */
export function memberSearch(q: string): { column: string; value: string } | { name: string } {
  const compact = q.replace(/[\s-]/g, '');
  if (/^\d{13}$/.test(compact)) return { column: 'id_number', value: compact };
  if (/^EFF\d+$/i.test(compact))
    return { column: 'membership_number', value: compact.toUpperCase() };
  if (/^\+?\d{9,12}$/.test(compact))
    return { column: 'cell_number', value: normaliseCellNumber(compact) ?? compact };
  return { name: `%${escapeLike(q.toLowerCase())}%` };
}

/** Whether q searches names (served by the trigram index) rather than an exact identifier. */
export function isNameSearch(filters: Pick<MemberFiltersDto, 'q'>): boolean {
  return filters.q ? 'name' in memberSearch(filters.q) : false;
}

/**
 * The caller's scope and the member filters as SQL conditions on alias m (the members table), to be joined with
 * AND: the one definition of what the member list and the export select.
 */
export function memberFilterConditions(
  sql: ScopedSql,
  scope: Scope,
  filters: MemberFiltersDto,
): string[] {
  const where = [sql.scope(scope, 'm')];
  if (filters.status?.length) {
    where.push(`m.status IN (${filters.status.map((status) => sql.param(status)).join(', ')})`);
  }
  if (filters.provinceCode) where.push(`m.province_code = ${sql.param(filters.provinceCode)}`);
  if (filters.districtCode) where.push(`m.district_code = ${sql.param(filters.districtCode)}`);
  if (filters.municipalityCode)
    where.push(`m.municipality_code = ${sql.param(filters.municipalityCode)}`);
  if (filters.wardCode) where.push(`m.ward_code = ${sql.param(filters.wardCode)}`);
  if (filters.expiresFrom) where.push(`m.expires_on >= ${sql.param(filters.expiresFrom)}`);
  if (filters.expiresTo) where.push(`m.expires_on <= ${sql.param(filters.expiresTo)}`);
  if (filters.joinedFrom) where.push(`m.joined_on >= ${sql.param(filters.joinedFrom)}`);
  if (filters.joinedTo) where.push(`m.joined_on <= ${sql.param(filters.joinedTo)}`);
  if (filters.q) {
    const search = memberSearch(filters.q);
    where.push(
      'column' in search
        ? `m.${search.column} = ${sql.param(search.value)}`
        : `lower(m.first_names || ' ' || m.surname) LIKE ${sql.param(search.name)}`,
    );
  }
  return where;
}
