import { diff, EventArea } from '@app/core';
import type { WardChain } from '@app/geography';
import { MemberDto, MemberHistoryEntryDto } from './dto/member.dto.js';
import { MemberHistory } from './entities/member-history.entity.js';
import { Member } from './entities/member.entity.js';

/** Personal data never written in clear into audit diffs or history. */
export const MASKED_MEMBER_FIELDS = ['idNumber', 'cellNumber', 'residentialAddress'] as const;
const AUDITED = [
  'idNumber',
  'firstNames',
  'surname',
  'cellNumber',
  'email',
  'residentialAddress',
  'wardCode',
  'status',
  'joinedOn',
  'lastPaidOn',
  'expiresOn',
] as const;

/** What other modules may read of a member: name, number, status and area. */
export type MemberSummary = Pick<
  Member,
  | 'id'
  | 'membershipNumber'
  | 'firstNames'
  | 'surname'
  | 'status'
  | 'wardCode'
  | 'municipalityCode'
  | 'districtCode'
  | 'provinceCode'
>;

export function toMemberDto(m: Member): MemberDto {
  return {
    id: m.id,
    membershipNumber: m.membershipNumber,
    idNumber: m.idNumber,
    firstNames: m.firstNames,
    surname: m.surname,
    dateOfBirth: m.dateOfBirth,
    gender: m.gender,
    citizenship: m.citizenship,
    cellNumber: m.cellNumber,
    email: m.email,
    residentialAddress: m.residentialAddress,
    wardCode: m.wardCode,
    municipalityCode: m.municipalityCode,
    districtCode: m.districtCode,
    provinceCode: m.provinceCode,
    status: m.status,
    joinedOn: m.joinedOn,
    lastPaidOn: m.lastPaidOn,
    expiresOn: m.expiresOn,
    consentGivenAt: m.consentGivenAt,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
    version: m.version,
  };
}

export function memberArea(m: Pick<Member, keyof WardChain>): EventArea {
  return {
    provinceCode: m.provinceCode,
    districtCode: m.districtCode,
    municipalityCode: m.municipalityCode,
    wardCode: m.wardCode,
  };
}

export function auditable(m: Member): Record<string, unknown> {
  return Object.fromEntries(AUDITED.map((key) => [key, m[key]]));
}

export function maskedDiff(before: Record<string, unknown>, after: Record<string, unknown>) {
  return diff(before, after, MASKED_MEMBER_FIELDS);
}

/** A history row as MemberHistoryEntryDto; `details` may be replaced (e.g. minimised for auditors). */
export function toHistoryEntryDto(
  h: MemberHistory,
  details: Record<string, unknown> | null = h.details,
): MemberHistoryEntryDto {
  return {
    id: h.id,
    kind: h.kind,
    fromStatus: h.fromStatus,
    toStatus: h.toStatus,
    reason: h.reason,
    details,
    actorUserId: h.actorUserId,
    createdAt: h.createdAt,
  };
}
