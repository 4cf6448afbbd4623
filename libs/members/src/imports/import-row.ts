import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { Scope, ScopeLevel, withinScope } from '@app/auth';
import {
  controlCharacterErrors,
  flattenValidationErrors,
  VALIDATOR_OPTIONS,
  withoutControlCharacters,
} from '@app/core';
import type { WardChain } from '@app/geography';
import { CreateMemberDto } from '../dto/create-member.dto.js';
import { maskIdNumber } from '../identity.js';
import type { MembershipPolicy } from '../membership-dates.js';
import { newMember, NewMember } from '../new-member.js';
import { ImportField } from './import-columns.js';
import { quickCheck } from './quick-check.js';

/** A row ready to be written: the member as a single create would store it (newMember). */
export interface MemberRow extends NewMember {
  rowNumber: number;
  /** The row had a payment date (an upsert compares only a given one with the member's). */
  lastPaidOnGiven: boolean;
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

/**
 * Validates one row exactly as a single create does: CreateMemberDto with the global pipe's options, then
 * newMember() (the rules that need today, the ward and the policy). Before newMember, the ward must exist and lie
 * inside the uploader's scope. An out-of-scope or unknown ward gets the same answer for a scoped uploader, so the
 * report never reveals which wards exist elsewhere.
 */
export function checkRow(
  rowNumber: number,
  body: Record<string, unknown>,
  wards: ReadonlyMap<string, WardChain>,
  scope: Scope,
  today: string,
  policy: MembershipPolicy,
): { member: MemberRow } | { rejected: RejectedRow } {
  // The API-wide control-character rule (a NUL would also fail the database write).
  const control = controlCharacterErrors(body, '', CreateMemberDto);
  if (control.length > 0) {
    const text = (v: unknown): string | null =>
      typeof v === 'string' ? withoutControlCharacters(v).slice(0, 100) : null;
    return {
      rejected: {
        rowNumber,
        duplicate: false,
        reasons: control.map((e) => `${e.field}: ${e.message}`),
        maskedIdNumber: maskIdNumber(text(body.idNumber) ?? undefined),
        firstNames: text(body.firstNames),
        surname: text(body.surname),
        wardCode: text(body.wardCode)?.slice(0, 20) ?? null,
      },
    };
  }
  const quick = quickCheck(body);
  let dto: CreateMemberDto;
  let reasons: string[];
  let wardInvalid: boolean;
  if (quick) {
    dto = quick.dto;
    reasons = [];
    wardInvalid = false;
  } else {
    dto = plainToInstance(CreateMemberDto, body);
    // validateSync: the same rules and options (every member rule is synchronous), without a promise per row.
    const errors = flattenValidationErrors(validateSync(dto, VALIDATOR_OPTIONS));
    reasons = errors.map((e) => `${e.field}: ${e.message}`);
    wardInvalid = errors.some((e) => e.field === 'wardCode');
  }
  let chain: WardChain | undefined;
  if (!wardInvalid) {
    chain = wards.get(dto.wardCode);
    const inScope = chain !== undefined && withinScope({ scope }, chain);
    if (!inScope) {
      reasons.push(
        scope.level === ScopeLevel.National
          ? `wardCode: there is no ward ${dto.wardCode}`
          : `wardCode: ward ${dto.wardCode} is outside your area`,
      );
    }
  }
  const rejected = (why: string[]): { rejected: RejectedRow } => ({
    rejected: {
      rowNumber,
      duplicate: false,
      reasons: why.length > 0 ? why : ['The row is not valid'],
      maskedIdNumber: maskIdNumber(typeof body.idNumber === 'string' ? body.idNumber : undefined),
      firstNames: typeof dto.firstNames === 'string' ? dto.firstNames.slice(0, 100) : null,
      surname: typeof dto.surname === 'string' ? dto.surname.slice(0, 100) : null,
      wardCode: typeof body.wardCode === 'string' ? body.wardCode.slice(0, 20) : null,
    },
  });
  if (reasons.length > 0 || !chain) return rejected(reasons);
  // The quick check already derived identity and cell number: newMember reuses them.
  const known = quick?.identity ? { identity: quick.identity, cell: quick.cell } : undefined;
  const result = newMember(dto, chain, today, policy, known);
  if ('errors' in result) return rejected(result.errors.map((e) => `${e.field}: ${e.message}`));
  return {
    member: { ...result.member, rowNumber, lastPaidOnGiven: dto.lastPaidOn !== undefined },
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
