import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { Scope, scopeContains, ScopeLevel } from '@app/auth';
import { flattenValidationErrors } from '@app/core';
import { CreateMemberDto } from '../dto/create-member.dto.js';
import { MemberStatus } from '../entities/member.entity.js';
import { checkIdNumber, Citizenship, Gender, normaliseCellNumber } from '../identity.js';
import { ImportField } from './import-columns.js';

/** A membership runs this many months from the last payment (DOMAIN.md). */
export const MEMBERSHIP_MONTHS = 24;
/** Days after expiry during which a membership is in its grace period. */
export const GRACE_PERIOD_DAYS = 90;

export interface WardChainRow {
  wardCode: string;
  municipalityCode: string;
  districtCode: string;
  provinceCode: string;
}

/** A row ready to be written: the member as a single create would store it. */
export interface MemberRow {
  rowNumber: number;
  idNumber: string;
  firstNames: string;
  surname: string;
  dateOfBirth: string;
  gender: Gender;
  citizenship: Citizenship;
  cellNumber: string | null;
  email: string | null;
  residentialAddress: string | null;
  wardCode: string;
  municipalityCode: string;
  districtCode: string;
  provinceCode: string;
  status: MemberStatus;
  joinedOn: string;
  lastPaidOn: string | null;
  expiresOn: string | null;
  consentGiven: boolean;
}

/** The non-sensitive part of a rejected row kept for the report (POPIA: ID masked to its last 4 digits). */
export interface RejectedRow {
  rowNumber: number;
  duplicate: boolean;
  reasons: string[];
  maskedIdNumber: string | null;
  firstNames: string | null;
  surname: string | null;
  wardCode: string | null;
}

export function maskIdNumber(idNumber: string | undefined): string | null {
  if (!idNumber) return null;
  const digits = idNumber.replace(/[\s-]/g, '').slice(0, 13);
  return digits.length <= 4
    ? '*'.repeat(digits.length)
    : `${'*'.repeat(digits.length - 4)}${digits.slice(-4)}`;
}

const TRUE = new Set(['yes', 'y', 'true', '1']);
const FALSE = new Set(['no', 'n', 'false', '0']);

/** The row as the plain body a single create would receive: empty cells are absent. */
export function rowToBody(
  cells: readonly string[],
  columns: Map<number, ImportField>,
): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [index, field] of columns) {
    const raw = (cells[index] ?? '').trim();
    if (raw === '') continue;
    if (field === 'consentGiven') {
      const v = raw.toLowerCase();
      body[field] = TRUE.has(v) ? true : FALSE.has(v) ? false : raw;
    } else if (field === 'idNumber' && /^\d{11,12}$/.test(raw)) {
      // A spreadsheet that stored the ID number as a number dropped its leading zeros (born 2000-2009).
      body[field] = raw.padStart(13, '0');
    } else {
      body[field] = raw;
    }
  }
  return body;
}

export function todayUtc(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}

function addMonths(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const target = new Date(Date.UTC(y, m - 1 + months, 1));
  const lastDay = new Date(
    Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0),
  ).getUTCDate();
  target.setUTCDate(Math.min(d, lastDay));
  return target.toISOString().slice(0, 10);
}

function addDays(date: string, days: number): string {
  const t = new Date(`${date}T00:00:00Z`);
  t.setUTCDate(t.getUTCDate() + days);
  return t.toISOString().slice(0, 10);
}

/** Expiry and status from the last payment: Active until expiry, then the grace period, then Expired. */
export function membershipState(
  lastPaidOn: string | null,
  today: string,
): { status: MemberStatus; expiresOn: string | null } {
  if (!lastPaidOn) return { status: MemberStatus.Pending, expiresOn: null };
  const expiresOn = addMonths(lastPaidOn, MEMBERSHIP_MONTHS);
  if (expiresOn >= today) return { status: MemberStatus.Active, expiresOn };
  if (addDays(expiresOn, GRACE_PERIOD_DAYS) >= today) {
    return { status: MemberStatus.GracePeriod, expiresOn };
  }
  return { status: MemberStatus.Expired, expiresOn };
}

const VALIDATION = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  stopAtFirstError: false,
  validationError: { target: false, value: false },
} as const;

/**
 * Validates one row exactly as the global pipe validates a single create (CreateMemberDto, same options), then
 * checks the ward exists and lies inside the uploader's scope. An out-of-scope or unknown ward gets the same
 * answer for a scoped uploader, so the report never reveals which wards exist elsewhere.
 */
export function checkRow(
  rowNumber: number,
  body: Record<string, unknown>,
  wards: ReadonlyMap<string, WardChainRow>,
  scope: Scope,
  today: string,
): { member: MemberRow } | { rejected: RejectedRow } {
  const dto = plainToInstance(CreateMemberDto, body);
  // validateSync: the same rules and options (every member rule is synchronous), without a promise per row.
  const errors = flattenValidationErrors(validateSync(dto, VALIDATION));
  const reasons = errors.map((e) => `${e.field}: ${e.message}`);
  let chain: WardChainRow | undefined;
  if (!errors.some((e) => e.field === 'wardCode')) {
    chain = wards.get(dto.wardCode);
    const inScope = chain !== undefined && scopeContains(scope, chain);
    if (!inScope) {
      reasons.push(
        scope.level === ScopeLevel.National
          ? `wardCode: there is no ward ${dto.wardCode}`
          : `wardCode: ward ${dto.wardCode} is outside your area`,
      );
    }
  }
  // Derived only for a row that passed (the DTO already checked both): no second parse of a bad row.
  const identity = reasons.length === 0 ? checkIdNumber(dto.idNumber) : null;
  const cell = reasons.length === 0 && dto.cellNumber ? normaliseCellNumber(dto.cellNumber) : null;
  if (reasons.length > 0 || !chain || !identity?.valid || (dto.cellNumber && !cell)) {
    return {
      rejected: {
        rowNumber,
        duplicate: false,
        reasons: reasons.length > 0 ? reasons : ['The row is not valid'],
        maskedIdNumber: maskIdNumber(typeof body.idNumber === 'string' ? body.idNumber : undefined),
        firstNames: typeof dto.firstNames === 'string' ? dto.firstNames.slice(0, 100) : null,
        surname: typeof dto.surname === 'string' ? dto.surname.slice(0, 100) : null,
        wardCode: typeof body.wardCode === 'string' ? body.wardCode.slice(0, 20) : null,
      },
    };
  }
  const lastPaidOn = dto.lastPaidOn ?? null;
  const state = membershipState(lastPaidOn, today);
  return {
    member: {
      rowNumber,
      idNumber: dto.idNumber,
      firstNames: dto.firstNames,
      surname: dto.surname,
      dateOfBirth: identity.facts.dateOfBirth,
      gender: identity.facts.gender,
      citizenship: identity.facts.citizenship,
      cellNumber: cell,
      email: dto.email ?? null,
      residentialAddress: dto.residentialAddress ?? null,
      wardCode: chain.wardCode,
      municipalityCode: chain.municipalityCode,
      districtCode: chain.districtCode,
      provinceCode: chain.provinceCode,
      status: state.status,
      joinedOn: dto.joinedOn ?? today,
      lastPaidOn,
      expiresOn: state.expiresOn,
      consentGiven: dto.consentGiven ?? true,
    },
  };
}

export function rejectedPreview(row: MemberRow, reason: string): RejectedRow {
  return {
    rowNumber: row.rowNumber,
    duplicate: true,
    reasons: [reason],
    maskedIdNumber: maskIdNumber(row.idNumber),
    firstNames: row.firstNames,
    surname: row.surname,
    wardCode: row.wardCode,
  };
}
