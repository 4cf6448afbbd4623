import type { Pool } from 'pg';

/** A valid South African ID number (Luhn check digit) from a date of birth and a sequence number. */
export function makeIdNumber(
  born: string,
  sequence: number,
  gender: 'female' | 'male' = 'female',
  citizen = true,
): string {
  const [y, m, d] = born.split('-') as [string, string, string];
  const ssss = String((gender === 'male' ? 5000 : 0) + (sequence % 5000)).padStart(4, '0');
  const body = `${y.slice(2)}${m}${d}${ssss}${citizen ? '0' : '1'}8`;
  for (let check = 0; check <= 9; check += 1) {
    const candidate = `${body}${check}`;
    let sum = 0;
    for (let i = 0; i < 13; i += 1) {
      let digit = Number(candidate[12 - i]);
      if (i % 2 === 1) {
        digit *= 2;
        if (digit > 9) digit -= 9;
      }
      sum += digit;
    }
    if (sum % 10 === 0) return candidate;
  }
  throw new Error('unreachable');
}

export interface WardRow {
  code: string;
  municipality_code: string;
  district_code: string;
  province_code: string;
}

export async function wardsOf(pool: Pool, provinceCode: string, limit = 5): Promise<WardRow[]> {
  const { rows } = await pool.query<WardRow>(
    'SELECT code, municipality_code, district_code, province_code FROM wards WHERE province_code = $1 ORDER BY code LIMIT $2',
    [provinceCode, limit],
  );
  return rows;
}

export interface ArrangedMember {
  idNumber: string;
  wardCode: string;
  firstNames?: string;
  surname?: string;
  status?: string;
  gender?: 'female' | 'male';
  dateOfBirth?: string;
  joinedOn?: string;
  expiresOn?: string | null;
  cellNumber?: string | null;
  contactObjected?: boolean;
  anonymised?: boolean;
}

/** Inserts members straight into the database (the trigger assigns membership numbers). */
export async function insertMembers(pool: Pool, members: ArrangedMember[]): Promise<void> {
  for (const m of members) {
    await pool.query(
      `INSERT INTO members (id_number, first_names, surname, date_of_birth, gender, citizenship, cell_number,
         email, ward_code, municipality_code, district_code, province_code, status, joined_on, expires_on,
         version, contact_objected_at, anonymised_at)
       SELECT $1::text, $2, $3, $4::date, $5::gender, 'citizen', $6, 'm' || $1::text || '@example.org', w.code,
         w.municipality_code, w.district_code, w.province_code, $7::member_status, $8::date, $12::date, 1,
         CASE WHEN $9 THEN now() END, CASE WHEN $10 THEN now() END
       FROM wards w WHERE w.code = $11`,
      [
        m.idNumber,
        m.firstNames ?? 'Test',
        m.surname ?? 'Member',
        m.dateOfBirth ?? '1990-01-01',
        m.gender ?? 'female',
        m.cellNumber === undefined ? '+27821234567' : m.cellNumber,
        m.status ?? 'active',
        m.joinedOn ?? '2024-01-15',
        m.contactObjected ?? false,
        m.anonymised ?? false,
        m.wardCode,
        m.expiresOn ?? null,
      ],
    );
  }
}
