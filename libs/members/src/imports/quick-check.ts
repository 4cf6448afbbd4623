import { isEmail, isISO8601 } from 'class-validator';
import { CreateMemberDto } from '../dto/create-member.dto.js';
import { checkIdNumber, IdNumberCheck, normaliseCellNumber } from '../identity.js';

const IMPORT_FIELDS = new Set<string>([
  'idNumber',
  'firstNames',
  'surname',
  'cellNumber',
  'email',
  'residentialAddress',
  'wardCode',
  'joinedOn',
  'lastPaidOn',
  'consentGiven',
]);
const WARD_CODE = /^\d{8}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_STRICT = { strict: true } as const;

const dates = new Map<string, boolean>();

/** isISO8601 strict for a YYYY-MM-DD string, remembered (a register repeats the same few dates). */
function isDate(value: string): boolean {
  let ok = dates.get(value);
  if (ok === undefined) {
    ok = isISO8601(value, ISO_STRICT);
    if (dates.size >= 50_000) dates.clear();
    dates.set(value, ok);
  }
  return ok;
}

/** What CreateMemberDto holds after class-transformer, plus what its custom validators computed. */
export interface CheckedDto {
  dto: CreateMemberDto;
  identity: IdNumberCheck | null;
  cell: string | null;
}

function text(value: unknown, max: number): string | null {
  if (typeof value !== 'string') return null;
  // CreateMemberDto's trim transform; MaxLength counts a surrogate pair once, so length <= max always passes.
  const v = value.trim().replace(/\s+/g, ' ');
  return v !== '' && v.length <= max ? v : null;
}

/**
 * The common case without class-transformer/class-validator: a row that certainly passes every
 * CreateMemberDto rule (the same transforms, the same checks, the library's own isEmail/isISO8601), or null
 * when anything is missing, unusual or wrong. Null sends the row down the full validation, which then gives
 * the verdict and the messages, so the two paths never disagree.
 */
export function quickCheck(body: Record<string, unknown>): CheckedDto | null {
  for (const key in body) if (!IMPORT_FIELDS.has(key)) return null;
  const rawId = body.idNumber;
  if (typeof rawId !== 'string') return null;
  const idNumber = rawId.replace(/[\s-]/g, '');
  const identity = checkIdNumber(idNumber);
  if (!identity.valid) return null;
  const firstNames = text(body.firstNames, 100);
  const surname = text(body.surname, 100);
  if (firstNames === null || surname === null) return null;
  const wardCode = body.wardCode;
  if (typeof wardCode !== 'string' || !WARD_CODE.test(wardCode)) return null;
  const dto = new CreateMemberDto();
  dto.idNumber = idNumber;
  dto.firstNames = firstNames;
  dto.surname = surname;
  dto.wardCode = wardCode;
  let cell: string | null = null;
  if (body.cellNumber !== undefined) {
    const v = body.cellNumber;
    if (typeof v !== 'string' || v.length > 20) return null;
    cell = normaliseCellNumber(v);
    if (cell === null) return null;
    dto.cellNumber = v;
  }
  if (body.email !== undefined) {
    if (typeof body.email !== 'string') return null;
    const v = body.email.trim().toLowerCase();
    if (v.length > 254 || !isEmail(v)) return null;
    dto.email = v;
  }
  if (body.residentialAddress !== undefined) {
    if (typeof body.residentialAddress !== 'string') return null;
    const v = body.residentialAddress.trim().replace(/\s+/g, ' ');
    if (v.length > 300) return null;
    dto.residentialAddress = v;
  }
  for (const field of ['joinedOn', 'lastPaidOn'] as const) {
    const v = body[field];
    if (v === undefined) continue;
    if (typeof v !== 'string' || !DATE.test(v) || !isDate(v)) return null;
    dto[field] = v;
  }
  if (body.consentGiven !== undefined) {
    if (typeof body.consentGiven !== 'boolean') return null;
    dto.consentGiven = body.consentGiven;
  }
  return { dto, identity, cell };
}
