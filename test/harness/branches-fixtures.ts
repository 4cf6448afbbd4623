import type { Pool } from 'pg';
import { nextIdNumber } from './leadership-fixtures.js';

/** YYYY-MM-DD `days` from today (South African calendar day). */
export function daysFromToday(days: number): string {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Africa/Johannesburg' }).format(
    new Date(),
  );
  const [y, m, d] = today.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

export interface BranchMember {
  id: string;
  membershipNumber: string;
}

let n = 0;

/** Inserts a member straight into the database (the trigger assigns the membership number). */
export async function insertBranchMember(
  pool: Pool,
  wardCode: string,
  options: { status?: string; expiresOn?: string | null; joinedOn?: string; surname?: string } = {},
): Promise<BranchMember> {
  n += 1;
  const { rows } = await pool.query<{ id: string; membership_number: string }>(
    `INSERT INTO members (id_number, first_names, surname, date_of_birth, gender, citizenship, ward_code,
                          municipality_code, district_code, province_code, status, joined_on, expires_on, version)
     SELECT $1, $2, $3, DATE '1990-01-01', 'female', 'citizen', w.code, w.municipality_code, w.district_code,
            w.province_code, $5::member_status, $6::date, $7::date, 1
       FROM wards w WHERE w.code = $4
     RETURNING id, membership_number`,
    [
      nextIdNumber(),
      `Branch${n}`,
      options.surname ?? `Member${String(n).padStart(4, '0')}`,
      wardCode,
      options.status ?? 'active',
      options.joinedOn ?? '2024-01-01',
      options.expiresOn === undefined ? daysFromToday(300) : options.expiresOn,
    ],
  );
  const row = rows[0];
  if (!row) throw new Error(`No ward ${wardCode}`);
  return { id: row.id, membershipNumber: row.membership_number };
}

/** Moves a member to another ward now, recording the transfer as members' own transfer route does. */
export async function transferNow(pool: Pool, memberId: string, toWard: string): Promise<void> {
  await pool.query(
    `INSERT INTO member_transfers (member_id, from_ward_code, from_province_code, to_ward_code, to_province_code)
     SELECT m.id, m.ward_code, m.province_code, w.code, w.province_code FROM members m, wards w
      WHERE m.id = $1 AND w.code = $2`,
    [memberId, toWard],
  );
  await pool.query(
    `UPDATE members m SET ward_code = w.code, municipality_code = w.municipality_code,
            district_code = w.district_code, province_code = w.province_code
       FROM wards w WHERE m.id = $1 AND w.code = $2`,
    [memberId, toWard],
  );
}
