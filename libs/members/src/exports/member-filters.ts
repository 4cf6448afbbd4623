import { ApiPropertyOptional } from '@nestjs/swagger';
import { AreaFilterDto } from '../dto/area-filter.dto.js';
import { Transform } from 'class-transformer';
import { IsEnum, IsISO8601, IsOptional, IsString, MaxLength } from 'class-validator';
import { MemberStatus } from '../entities/member.entity.js';

const toList = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : value;

/**
 * The filters of the member list, shared by the list and the export: `q` (prefix of the surname), status,
 * area codes, and expiry and joined date ranges (inclusive).
 */
export class MemberFiltersDto extends AreaFilterDto {
  @ApiPropertyOptional({ description: 'Prefix of the surname (case-insensitive)', maxLength: 100 })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  q?: string;

  @ApiPropertyOptional({
    enum: MemberStatus,
    enumName: 'MemberStatus',
    isArray: true,
    description: 'One status, or several separated by commas',
  })
  @IsOptional()
  @Transform(toList)
  @IsEnum(MemberStatus, { each: true })
  status?: MemberStatus[];

  @ApiPropertyOptional({ format: 'date' })
  @IsOptional()
  @IsISO8601({ strict: true })
  expiresFrom?: string;

  @ApiPropertyOptional({ format: 'date' })
  @IsOptional()
  @IsISO8601({ strict: true })
  expiresTo?: string;

  @ApiPropertyOptional({ format: 'date' })
  @IsOptional()
  @IsISO8601({ strict: true })
  joinedFrom?: string;

  @ApiPropertyOptional({ format: 'date' })
  @IsOptional()
  @IsISO8601({ strict: true })
  joinedTo?: string;
}

export type MemberFilters = Pick<
  MemberFiltersDto,
  | 'q'
  | 'status'
  | 'provinceCode'
  | 'districtCode'
  | 'municipalityCode'
  | 'wardCode'
  | 'expiresFrom'
  | 'expiresTo'
  | 'joinedFrom'
  | 'joinedTo'
>;

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

let counter = 0;

/**
 * The filters as one SQL predicate on `alias` (a members table alias) with named parameters, for TypeORM
 * query builders: `qb.andWhere(p.sql, p.params)`. Scope is NOT part of it: add scopePredicate() as well.
 */
export function memberFilterPredicate(
  filters: MemberFilters,
  alias: string,
): { sql: string; params: Record<string, string | string[]> } {
  if (!/^[a-z_][a-z0-9_]*$/i.test(alias)) throw new Error(`Unsafe alias ${alias}`);
  counter = (counter + 1) % 1_000_000;
  const p = (name: string): string => `mf${counter}_${name}`;
  const parts: string[] = [];
  const params: Record<string, string | string[]> = {};
  const add = (sql: string, name: string, value: string | string[]): void => {
    parts.push(sql.replace(':v', `:${p(name)}`).replace(':...v', `:...${p(name)}`));
    params[p(name)] = value;
  };
  if (filters.q)
    add(`lower(${alias}.surname) LIKE :v`, 'q', `${escapeLike(filters.q.toLowerCase())}%`);
  if (filters.status && filters.status.length > 0) {
    add(`${alias}.status IN (:...v)`, 'status', filters.status);
  }
  if (filters.provinceCode) add(`${alias}.province_code = :v`, 'province', filters.provinceCode);
  if (filters.districtCode) add(`${alias}.district_code = :v`, 'district', filters.districtCode);
  if (filters.municipalityCode) {
    add(`${alias}.municipality_code = :v`, 'municipality', filters.municipalityCode);
  }
  if (filters.wardCode) add(`${alias}.ward_code = :v`, 'ward', filters.wardCode);
  if (filters.expiresFrom) add(`${alias}.expires_on >= :v`, 'expiresFrom', filters.expiresFrom);
  if (filters.expiresTo) add(`${alias}.expires_on <= :v`, 'expiresTo', filters.expiresTo);
  if (filters.joinedFrom) add(`${alias}.joined_on >= :v`, 'joinedFrom', filters.joinedFrom);
  if (filters.joinedTo) add(`${alias}.joined_on <= :v`, 'joinedTo', filters.joinedTo);
  return { sql: parts.length > 0 ? parts.join(' AND ') : '1 = 1', params };
}
