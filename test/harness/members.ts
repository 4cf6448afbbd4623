import { randomInt } from 'node:crypto';
import type { Pool } from 'pg';
import { bearer, Session } from './auth.js';
import { RunningApp } from './test-app.js';

/**
 * Wards used by member tests, around GP > DC42 > GT421 > 74201001:
 * own, a sibling ward, a ward of a sibling municipality, a ward of a sibling district, another province.
 */
export const WARDS = {
  own: '74201001', // GT421, DC42, GP
  siblingWard: '74201002', // GT421, DC42, GP
  siblingMunicipality: '74202001', // GT422, DC42, GP
  siblingDistrict: '79800001', // JHB, JHB, GP
  otherProvince: '94706001', // LIM476, DC47, LP
} as const;

function luhnCheckDigit(twelve: string): string {
  for (let d = 0; d <= 9; d += 1) {
    const digits = `${twelve}${d}`;
    let sum = 0;
    for (let i = 0; i < digits.length; i += 1) {
      let digit = Number(digits[digits.length - 1 - i]);
      if (i % 2 === 1) {
        digit *= 2;
        if (digit > 9) digit -= 9;
      }
      sum += digit;
    }
    if (sum % 10 === 0) return String(d);
  }
  throw new Error('unreachable');
}

const issued = new Set<string>();

export interface IdNumberOptions {
  /** YYMMDD; random between 1950 and 2004 when absent */
  born?: string;
  female?: boolean;
  permanentResident?: boolean;
}

/** A valid South African ID number (real date, citizenship digit, Luhn), unique within this test process. */
export function validIdNumber(options: IdNumberOptions = {}): string {
  for (;;) {
    const year = randomInt(1950, 2005);
    const born =
      options.born ??
      `${String(year % 100).padStart(2, '0')}${String(randomInt(1, 13)).padStart(2, '0')}${String(randomInt(1, 29)).padStart(2, '0')}`;
    const female = options.female ?? randomInt(0, 2) === 0;
    const sequence = String(female ? randomInt(0, 5000) : randomInt(5000, 10000)).padStart(4, '0');
    const twelve = `${born}${sequence}${options.permanentResident ? '1' : '0'}8`;
    const id = `${twelve}${luhnCheckDigit(twelve)}`;
    if (!issued.has(id)) {
      issued.add(id);
      return id;
    }
  }
}

/** The same ID number with a wrong check digit. */
export function withBadCheckDigit(id: string): string {
  const last = Number(id[12]);
  return `${id.slice(0, 12)}${(last + 1) % 10}`;
}

export interface MemberBody {
  id: string;
  membershipNumber: string;
  idNumber: string;
  firstNames: string;
  surname: string;
  wardCode: string;
  municipalityCode: string;
  districtCode: string;
  provinceCode: string;
  status: string;
  joinedOn: string;
  lastPaidOn: string | null;
  expiresOn: string | null;
  version: number;
  [key: string]: unknown;
}

let counter = 0;

export function memberInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1;
  return {
    idNumber: validIdNumber(),
    firstNames: `Thandiwe ${counter}`,
    surname: `Mokoena${String.fromCharCode(97 + (counter % 26))}`,
    cellNumber: '0821234567',
    wardCode: WARDS.own,
    ...overrides,
  };
}

/** Creates a member through POST /api/v1/members; fails the test loudly when that does not give 201. */
export async function createMember(
  app: RunningApp,
  session: Session,
  overrides: Record<string, unknown> = {},
): Promise<MemberBody> {
  const res = await app
    .http()
    .post('/api/v1/members')
    .set(...bearer(session))
    .send(memberInput(overrides));
  if (res.status !== 201) {
    throw new Error(`creating a member failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body as MemberBody;
}

/** Submits a public application (POST /api/v1/applications) and returns its id (looked up in the database). */
export async function submitApplication(
  app: RunningApp,
  pool: Pool,
  overrides: Record<string, unknown> = {},
): Promise<string> {
  const input: Record<string, unknown> = { ...memberInput(), consent: true, ...overrides };
  const res = await app.http().post('/api/v1/applications').send(input);
  if (res.status !== 202) {
    throw new Error(`submitting an application failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  const { rows } = await pool.query<{ id: string }>(
    'SELECT id FROM membership_applications WHERE id_number = $1 ORDER BY created_at DESC LIMIT 1',
    [input.idNumber],
  );
  const id = rows[0]?.id;
  if (!id) throw new Error('the application was not stored');
  return id;
}

/** Arranges an application directly in the database (fast; no throttling), in the given ward. */
export async function insertApplication(
  pool: Pool,
  wardCode: string,
  idNumber: string = validIdNumber(),
): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO membership_applications
       (status, id_number, first_names, surname, date_of_birth, gender, citizenship, ward_code,
        municipality_code, district_code, province_code, consent_given_at, submitted_at, version)
     SELECT 'submitted', $1, 'Lerato', 'Applicant', '1990-01-01', 'female', 'citizen', w.code,
            w.municipality_code, w.district_code, w.province_code, now(), now(), 1
       FROM wards w WHERE w.code = $2
     RETURNING id`,
    [idNumber, wardCode],
  );
  const id = rows[0]?.id;
  if (!id) throw new Error(`no ward ${wardCode}`);
  return id;
}

/**
 * Row counts of the member tables, to show that a refused request wrote nothing. Reads are left out of the audit
 * count: access records (AuditService.recordAccess: a member viewed, a list page shown, a card verified) are
 * written in batches (AUDIT_ACCESS_FLUSH_MS) and may land at any moment.
 */
const ACCESS_RECORD_ACTIONS = [
  'member.viewed',
  'members.listed',
  'applications.listed',
  'card.verified',
];

export async function memberTableCounts(pool: Pool): Promise<Record<string, number>> {
  const { rows } = await pool.query<Record<string, number>>(
    `SELECT (SELECT count(*) FROM members)::int AS members,
            (SELECT count(*) FROM membership_applications)::int AS applications,
            (SELECT count(*) FROM member_history)::int AS history,
            (SELECT count(*) FROM member_renewals)::int AS renewals,
            (SELECT count(*) FROM member_transfers)::int AS transfers,
            (SELECT count(*) FROM audit_events WHERE action <> ALL ($1::text[]))::int AS audit`,
    [ACCESS_RECORD_ACTIONS],
  );
  return rows[0] ?? {};
}
