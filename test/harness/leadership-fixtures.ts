// Arranging leadership data straight in the test database: the member routes are not part of this module,
// so members are inserted as rows (the database trigger assigns the membership number).
import { randomInt } from 'node:crypto';
import type { Pool } from 'pg';

/** Appends the Luhn check digit to 12 digits. */
function luhnCheckDigit(twelve: string): string {
  let sum = 0;
  for (let i = 0; i < twelve.length; i += 1) {
    let digit = Number(twelve[twelve.length - 1 - i]);
    if (i % 2 === 0) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return String((10 - (sum % 10)) % 10);
}

let sequence = randomInt(0, 4000);

/** A valid, unique-per-process South African ID number of a female citizen born 1 January 1990. */
export function nextIdNumber(): string {
  sequence = (sequence + 1) % 5000;
  const twelve = `900101${String(sequence).padStart(4, '0')}08`;
  return twelve + luhnCheckDigit(twelve);
}

export interface TestMember {
  id: string;
  membershipNumber: string;
  firstNames: string;
  surname: string;
  wardCode: string;
  provinceCode: string;
}

let nameCounter = 0;

/** Inserts a member living in `wardCode` (parents taken from the wards table). */
export async function insertMember(
  pool: Pool,
  wardCode: string,
  options: { status?: string; surname?: string } = {},
): Promise<TestMember> {
  nameCounter += 1;
  const firstNames = `Naledi${nameCounter}`;
  const surname = options.surname ?? `Mokoena${nameCounter}`;
  const result = await pool.query<{ id: string; membership_number: string; province_code: string }>(
    `INSERT INTO members (id_number, first_names, surname, date_of_birth, gender, citizenship, ward_code,
                          municipality_code, district_code, province_code, status, joined_on, version)
     SELECT $1, $2, $3, DATE '1990-01-01', 'female', 'citizen', w.code, w.municipality_code, w.district_code,
            w.province_code, $5, DATE '2024-01-01', 1
       FROM wards w WHERE w.code = $4
     RETURNING id, membership_number, province_code`,
    [nextIdNumber(), firstNames, surname, wardCode, options.status ?? 'active'],
  );
  const row = result.rows[0];
  if (!row) throw new Error(`No ward ${wardCode}`);
  return {
    id: row.id,
    membershipNumber: row.membership_number,
    firstNames,
    surname,
    wardCode,
    provinceCode: row.province_code,
  };
}

export async function structureId(pool: Pool, kind: string, areaCode: string): Promise<string> {
  const result = await pool.query<{ id: string }>(
    'SELECT id FROM leadership_structures WHERE kind = $1 AND area_code = $2',
    [kind, areaCode],
  );
  const id = result.rows[0]?.id;
  if (!id) throw new Error(`No ${kind} structure for ${areaCode}`);
  return id;
}

export async function positionId(pool: Pool, kind: string, code: string): Promise<string> {
  const result = await pool.query<{ id: string }>(
    'SELECT id FROM leadership_positions WHERE structure_kind = $1 AND code = $2',
    [kind, code],
  );
  const id = result.rows[0]?.id;
  if (!id) throw new Error(`No ${code} position for ${kind}`);
  return id;
}

/** Inserts an open appointment directly (as history that predates the API, or to arrange a test). */
export async function insertAppointment(
  pool: Pool,
  values: {
    structureId: string;
    positionId: string;
    memberId: string;
    startsOn?: string;
    endsOn?: string | null;
  },
): Promise<string> {
  const result = await pool.query<{ id: string }>(
    `INSERT INTO leadership_appointments (structure_id, position_id, member_id, kind, single_holder, starts_on,
                                          ends_on)
     SELECT $1, p.id, $3, 'elected', p.seats = 1, $4, $5 FROM leadership_positions p WHERE p.id = $2
     RETURNING id`,
    [
      values.structureId,
      values.positionId,
      values.memberId,
      values.startsOn ?? '2025-01-01',
      values.endsOn ?? null,
    ],
  );
  const id = result.rows[0]?.id;
  if (!id) throw new Error('appointment not inserted');
  return id;
}

export async function countAppointments(pool: Pool): Promise<number> {
  const result = await pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM leadership_appointments',
  );
  return result.rows[0]?.n ?? 0;
}
