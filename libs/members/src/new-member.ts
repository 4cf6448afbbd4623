import type { FieldError } from '@app/core';
import type { WardChain } from '@app/geography';
import type { CreateMemberDto } from './dto/create-member.dto.js';
import { MemberStatus } from './entities/member.entity.js';
import {
  checkIdNumber,
  Citizenship,
  Gender,
  IdNumberCheck,
  normaliseCellNumber,
} from './identity.js';
import { membershipFromPayment, MembershipPolicy } from './membership-dates.js';

/** A new member's row as it is inserted (the database adds id, membership number and timestamps). */
export interface NewMember {
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
  lastPaidOn: string;
  expiresOn: string;
  consentGiven: boolean;
}

/** What a caller already derived from the same input (the import's quick check), so it is not derived twice. */
export interface KnownDerivations {
  identity: IdNumberCheck;
  cell: string | null;
}

let memoKey = '';
const memo = new Map<string, ReturnType<typeof membershipFromPayment>>();

/** membershipFromPayment, remembered for the day and policy (an import's rows repeat the same few dates). */
function membershipOn(
  lastPaidOn: string,
  today: string,
  policy: MembershipPolicy,
): ReturnType<typeof membershipFromPayment> {
  const key = `${today}|${policy.periodMonths}|${policy.graceDays}`;
  if (memoKey !== key || memo.size > 20_000) {
    memoKey = key;
    memo.clear();
  }
  let state = memo.get(lastPaidOn);
  if (!state) {
    state = membershipFromPayment(lastPaidOn, today, policy);
    memo.set(lastPaidOn, state);
  }
  return state;
}

/**
 * The one definition of a new member, shared by POST /members, application approval and the import. `input` has
 * passed CreateMemberDto's rules (shape, lengths, formats); this adds the rules that need today, the ward chain
 * and the configured policy, and derives what is never typed in:
 * - date of birth, gender and citizenship from the ID number (an invalid one is an `idNumber` error);
 * - the cell number in E.164;
 * - joinedOn defaults to today, lastPaidOn to joinedOn (a member with no payment date paid on joining: the fee
 *   is part of joining); neither may be after today (South African calendar);
 * - expiry is lastPaidOn plus the membership period, the status follows from it and the grace period.
 * A payment date before the joining date is not refused (no rule forbids it).
 * Pure: no database, no clock.
 */
export function newMember(
  input: CreateMemberDto,
  chain: WardChain,
  today: string,
  policy: MembershipPolicy,
  known?: KnownDerivations,
): { member: NewMember } | { errors: FieldError[] } {
  const errors: FieldError[] = [];
  const identity = known?.identity ?? checkIdNumber(input.idNumber);
  if (!identity.valid)
    errors.push({ field: 'idNumber', code: 'invalidIdNumber', message: identity.reason });
  const cellNumber = !input.cellNumber
    ? null
    : known
      ? known.cell
      : normaliseCellNumber(input.cellNumber);
  if (input.cellNumber && !cellNumber) {
    errors.push({
      field: 'cellNumber',
      code: 'invalid',
      message: 'cellNumber is not a South African number',
    });
  }
  const joinedOn = input.joinedOn ?? today;
  if (joinedOn > today)
    errors.push({
      field: 'joinedOn',
      code: 'future',
      message: 'joinedOn may not be in the future',
    });
  if (input.lastPaidOn !== undefined && input.lastPaidOn > today) {
    errors.push({
      field: 'lastPaidOn',
      code: 'future',
      message: 'lastPaidOn may not be in the future',
    });
  }
  if (errors.length > 0 || !identity.valid) return { errors };
  const lastPaidOn = input.lastPaidOn ?? joinedOn;
  const { expiresOn, status } = membershipOn(lastPaidOn, today, policy);
  return {
    member: {
      idNumber: input.idNumber,
      firstNames: input.firstNames,
      surname: input.surname,
      dateOfBirth: identity.facts.dateOfBirth,
      gender: identity.facts.gender,
      citizenship: identity.facts.citizenship,
      cellNumber,
      email: input.email ?? null,
      residentialAddress: input.residentialAddress ?? null,
      wardCode: chain.wardCode,
      municipalityCode: chain.municipalityCode,
      districtCode: chain.districtCode,
      provinceCode: chain.provinceCode,
      status,
      joinedOn,
      lastPaidOn,
      expiresOn,
      consentGiven: input.consentGiven ?? true,
    },
  };
}
