import { diff } from '@app/core';
import { MASKED_MEMBER_FIELDS } from '../members.service.js';
import type { MemberRow, RejectedRow } from './import-row.js';
import { rejectedPreview } from './import-row.js';

/**
 * Create: the members of a batch, with each new member's history entry (created: import, membership number, ward,
 * status) and one audit event per province of the batch, `members.imported`, naming the import and the ids of
 * the members it created there (`changes.ids`, as a list page's access record does): an audit row per member cost
 * the import about a third of its speed. Returns the ID numbers written (an ID number inserted meanwhile by
 * someone else is skipped: ON CONFLICT DO NOTHING).
 */
/** The audit action of the members one import batch created in one province (`changes.ids`). */
export const MEMBERS_IMPORTED_ACTION = 'members.imported';

export const INSERT_SQL = `
  WITH ins AS (
    INSERT INTO members (id_number, first_names, surname, date_of_birth, gender, citizenship, cell_number, email,
      residential_address, ward_code, municipality_code, district_code, province_code, status, joined_on,
      last_paid_on, expires_on, consent_given_at, created_by, version)
    SELECT u.id_number, u.first_names, u.surname, u.date_of_birth::date, u.gender::gender,
      u.citizenship::citizenship, u.cell_number, u.email, u.residential_address, u.ward_code, u.municipality_code,
      u.district_code, u.province_code, u.status::member_status, u.joined_on::date, u.last_paid_on::date,
      u.expires_on::date, CASE WHEN u.consent THEN now() END, $19::uuid, 1
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
      $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[],
      $17::text[], $18::boolean[])
      AS u(id_number, first_names, surname, date_of_birth, gender, citizenship, cell_number, email,
        residential_address, ward_code, municipality_code, district_code, province_code, status, joined_on,
        last_paid_on, expires_on, consent)
    ON CONFLICT (id_number) DO NOTHING
    RETURNING id, id_number, membership_number, ward_code, province_code, status),
  history AS (
    INSERT INTO member_history (member_id, kind, to_status, details, actor_user_id)
    SELECT id, 'created'::member_history_kind, status,
      jsonb_build_object('membershipNumber', membership_number, 'wardCode', ward_code, 'importId', $20::text),
      $19::uuid
    FROM ins),
  audit AS (
    INSERT INTO audit_events (action, entity_type, entity_id, province_code, actor_user_id, changes)
    SELECT '${MEMBERS_IMPORTED_ACTION}', 'member', NULL, province_code, $19::uuid,
      jsonb_build_object('importId', $20::text, 'count', count(*), 'ids', jsonb_agg(id::text ORDER BY id))
    FROM ins GROUP BY province_code)
  SELECT id_number FROM ins`;

/** An existing member a batch's ID numbers matched, with what an upsert may change and must compare. */
export interface ExistingMember {
  id: string;
  id_number: string;
  membership_number: string;
  province_code: string;
  district_code: string;
  municipality_code: string;
  ward_code: string;
  anonymised: boolean;
  first_names: string;
  surname: string;
  cell_number: string | null;
  email: string | null;
  residential_address: string | null;
  last_paid_on: string | null;
}

export const EXISTING_SQL = `
  SELECT id, id_number, membership_number, province_code, district_code, municipality_code, ward_code,
    anonymised_at IS NOT NULL AS anonymised, first_names, surname, cell_number, email, residential_address,
    to_char(last_paid_on, 'YYYY-MM-DD') AS last_paid_on
  FROM members WHERE id_number = ANY($1::bpchar[]) FOR UPDATE`;

/** An upsert row that changes a member: the new values and the masked diff its history and audit record. */
export interface PlannedUpdate {
  memberId: string;
  firstNames: string;
  surname: string;
  cellNumber: string | null;
  email: string | null;
  residentialAddress: string | null;
  changes: Record<string, { from: unknown; to: unknown }>;
}

export function alreadyMemberReason(membershipNumber: string): string {
  return `idNumber: already a member in your area (membership number ${membershipNumber})`;
}

/** A row refused for something other than a duplicate (the report's duplicate flag stays false). */
export function refusedRow(row: MemberRow, reason: string): RejectedRow {
  return { ...rejectedPreview(row, reason), duplicate: false };
}

/**
 * What an upsert row does to a member inside the uploader's area: names, cell, email and address (a blank cell
 * keeps what is stored). It never moves the payment date or expiry: a row whose payment date differs from the
 * member's is rejected (a payment is a renewal with a reference), a blank or equal one is fine. Null when the
 * row changes nothing.
 */
export function planUpdate(
  row: MemberRow,
  current: ExistingMember,
): { rejected: RejectedRow } | { update: PlannedUpdate } | null {
  if (row.lastPaidOnGiven && row.lastPaidOn !== current.last_paid_on) {
    return {
      rejected: refusedRow(
        row,
        `lastPaidOn: an import cannot change the payment date (${current.last_paid_on ?? 'none'} on record); ` +
          'record the payment as a renewal with its reference',
      ),
    };
  }
  const before = {
    firstNames: current.first_names,
    surname: current.surname,
    cellNumber: current.cell_number,
    email: current.email,
    residentialAddress: current.residential_address,
  };
  const after = {
    firstNames: row.firstNames,
    surname: row.surname,
    cellNumber: row.cellNumber ?? current.cell_number,
    email: row.email ?? current.email,
    residentialAddress: row.residentialAddress ?? current.residential_address,
  };
  const changes = diff(before, after, MASKED_MEMBER_FIELDS);
  if (Object.keys(changes).length === 0) return null;
  return { update: { memberId: current.id, ...after, changes } };
}
