import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { Scope, scopeContains, ScopeLevel } from '@app/auth';
import {
  controlCharacterErrors,
  flattenValidationErrors,
  withoutControlCharacters,
} from '@app/core';
import { CreateMemberDto } from '../dto/create-member.dto.js';
import { MemberStatus } from '../entities/member.entity.js';
import { checkIdNumber, Citizenship, Gender, normaliseCellNumber } from '../identity.js';
import { ImportField } from './import-columns.js';
import { quickCheck } from './quick-check.js';
import { maskIdNumber, membershipState, WardChainRow } from './membership-state.js';

export * from './membership-state.js';

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
let stateToday = '';
const stateCache = new Map<string, ReturnType<typeof membershipState>>();

/** membershipState for a payment date, remembered for the day (registers repeat the same few dates). */
function stateOf(lastPaidOn: string | null, today: string): ReturnType<typeof membershipState> {
  if (stateToday !== today || stateCache.size > 20_000) {
    stateToday = today;
    stateCache.clear();
  }
  const key = lastPaidOn ?? '';
  let state = stateCache.get(key);
  if (!state) {
    state = membershipState(lastPaidOn, today);
    stateCache.set(key, state);
  }
  return state;
}

export function checkRow(
  rowNumber: number,
  body: Record<string, unknown>,
  wards: ReadonlyMap<string, WardChainRow>,
  scope: Scope,
  today: string,
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
    const errors = flattenValidationErrors(validateSync(dto, VALIDATION));
    reasons = errors.map((e) => `${e.field}: ${e.message}`);
    wardInvalid = errors.some((e) => e.field === 'wardCode');
  }
  let chain: WardChainRow | undefined;
  if (!wardInvalid) {
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
  const identity = reasons.length > 0 ? null : quick ? quick.identity : checkIdNumber(dto.idNumber);
  const cell =
    reasons.length > 0 || !dto.cellNumber
      ? null
      : quick
        ? quick.cell
        : normaliseCellNumber(dto.cellNumber);
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
  const state = stateOf(lastPaidOn, today);
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
