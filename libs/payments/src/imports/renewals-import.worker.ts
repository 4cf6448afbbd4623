// The renewals row kind on the import's worker thread (docs/files.md "Adding a row kind"): the engine imports only
// this module, by the path RenewalsImportKind registers. Nothing here may need Nest, the app or its pools.
import { defineRowKind, headerMapper } from '@app/files/row-kind';
import type { BatchConnection, ImportWorkerJob, RejectedRow } from '@app/files/row-kind';

export type RenewalField = 'idNumber' | 'amount' | 'paidOn' | 'reference' | 'method';

/** What the main thread gives each renewals job (RenewalsImportKind.context). */
export interface RenewalsImportContext {
  /** Today in South Africa (YYYY-MM-DD): a later paid-on date is refused. */
  today: string;
  maxAmountCents: number;
  /** The ward the upload declared (job.parameters.wardCode), checked against the uploader's scope at upload. */
  wardCode: string;
}

/** A row that passed the check: written as a pending payment if its member is found in the declared ward. */
export interface RenewalRow {
  rowNumber: number;
  idNumber: string;
  amountCents: number;
  paidOn: string;
  reference: string;
  method: string;
  fields: (string | null)[];
}

export const RENEWAL_METHODS = ['cash', 'eft', 'external'] as const;

/** The report's columns after Row, Duplicate and Reasons, in the order of a rejected row's fields. */
export const RENEWAL_REPORT_COLUMNS = [
  { header: 'ID Number (last 4)', width: 18 },
  { header: 'Amount', width: 12 },
  { header: 'Paid On', width: 12 },
  { header: 'Reference', width: 28 },
  { header: 'Method', width: 10 },
] as const;

/** The template's header row and an example. Amounts are in rands (R12.50 or 12.50), stored as integer cents. */
export const RENEWAL_TEMPLATE_COLUMNS = [
  { header: 'ID Number', example: '9001015009087' },
  { header: 'Amount', example: '10.00' },
  { header: 'Paid On', example: '2026-11-30' },
  { header: 'Reference', example: 'EFT-000123' },
  { header: 'Method', example: 'eft' },
] as const;

export const mapRenewalHeaders = headerMapper<RenewalField>(
  {
    idNumber: ['ID Number', 'ID No', 'ID', 'Identity Number', 'SA ID Number'],
    amount: ['Amount', 'Amount (R)', 'Amount Rands', 'Amount in Rands', 'Rands'],
    paidOn: ['Paid On', 'Payment Date', 'Date Paid', 'Paid Date', 'Date'],
    reference: ['Reference', 'Ref', 'Payment Reference', 'Receipt Number', 'Receipt No'],
    method: ['Method', 'Payment Method'],
  },
  ['idNumber', 'amount', 'paidOn', 'reference', 'method'],
);

/**
 * The same text for a member that does not exist and one outside the uploader's area, so the report never says
 * whether an ID number is a member elsewhere.
 */
export const UNKNOWN_MEMBER_REASON = 'idNumber: no member with this ID number in your area';

const AMOUNT = /^(\d{1,9})(?:[.,](\d{1,2}))?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const hasControl = (text: string): boolean =>
  [...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);

/** Rands as written in a file ("R 12.50", "12,5", "10") → integer cents, or null. */
export function randsToCents(text: string): number | null {
  const match = AMOUNT.exec(text.replace(/^R\s*/i, '').replace(/\s/g, ''));
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
}

function validDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === text;
}

const masked = (idNumber: string): string | null =>
  idNumber ? `*********${idNumber.slice(-4)}`.slice(-13) : null;

interface MemberFound {
  id: string;
  id_number: string;
  ward_code: string;
  municipality_code: string;
  district_code: string;
  province_code: string;
  status: string;
  anonymised: boolean;
}

const MEMBERS_SQL = `
  SELECT id, id_number, ward_code, municipality_code, district_code, province_code, status::text AS status,
    anonymised_at IS NOT NULL AS anonymised
  FROM members WHERE id_number = ANY($1::text[])`;

const EXISTING_SQL = `
  SELECT p.method::text AS method, p.reference FROM payments p
  JOIN unnest($1::text[], $2::text[]) AS u(method, reference)
    ON p.method = u.method::payment_method AND p.provider = u.method AND p.reference = u.reference`;

/** The audit action of the payments one renewals batch recorded in one province (`changes.ids`). */
export const PAYMENTS_IMPORTED_ACTION = 'payments.imported';

/**
 * Pending payments, as POST /payments records them (provider = method, recorded by the uploader), each with its
 * member's history entry (`payment`, event `recorded`, the import's id), and one audit event per province of the
 * batch naming the payments it recorded there. A reference someone recorded meanwhile is skipped (ON CONFLICT).
 */
const INSERT_SQL = `
  WITH ins AS (
    INSERT INTO payments (member_id, method, provider, reference, amount_cents, paid_on, status, recorded_by,
      ward_code, municipality_code, district_code, province_code)
    SELECT u.member_id, u.method::payment_method, u.method, u.reference, u.amount_cents, u.paid_on::date,
      'pending', $10::uuid, u.ward_code, u.municipality_code, u.district_code, u.province_code
    FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[],
      $9::text[])
      AS u(member_id, method, reference, amount_cents, paid_on, ward_code, municipality_code, district_code,
        province_code)
    ON CONFLICT ON CONSTRAINT "UQ_payments_reference" DO NOTHING
    RETURNING id, member_id, method, reference, amount_cents, province_code),
  history AS (
    INSERT INTO member_history (member_id, kind, details, actor_user_id)
    SELECT member_id, 'payment'::member_history_kind,
      jsonb_build_object('event', 'recorded', 'paymentId', id, 'method', method, 'amountCents', amount_cents,
        'reference', reference, 'status', 'pending', 'importId', $11::text),
      $10::uuid
    FROM ins),
  audit AS (
    INSERT INTO audit_events (action, entity_type, entity_id, province_code, actor_user_id, changes)
    SELECT '${PAYMENTS_IMPORTED_ACTION}', 'payment', NULL, province_code, $10::uuid,
      jsonb_build_object('importId', $11::text, 'count', count(*), 'ids', jsonb_agg(id::text ORDER BY id))
    FROM ins GROUP BY province_code)
  SELECT method::text AS method, reference FROM ins`;

/** The members column each scope level is compared on (libs/auth scopeContains, without loading libs/auth). */
const SCOPE_COLUMN: Record<string, keyof MemberFound> = {
  province: 'province_code',
  district: 'district_code',
  municipality: 'municipality_code',
  ward: 'ward_code',
};

function inScope(job: ImportWorkerJob, m: MemberFound): boolean {
  const level: string = job.scope.level;
  if (level === 'national') return true;
  const column = SCOPE_COLUMN[level];
  return column !== undefined && m[column] === job.scope.code;
}

const CLOSED = new Set(['deceased', 'cancelled']);

export const rowKind = defineRowKind<RenewalRow, RenewalsImportContext>({
  mapHeaders: mapRenewalHeaders,
  open(job, mapping, context) {
    const columns = mapping.columns as Map<number, RenewalField>;
    const index = new Map<RenewalField, number>([...columns].map(([i, f]) => [f, i]));
    const cell = (cells: readonly string[], field: RenewalField): string =>
      (cells[index.get(field) ?? -1] ?? '').trim();
    /** method|reference -> the file row it is first on. */
    const seen = new Map<string, number>();
    const keyOf = (cells: readonly string[]): string =>
      `${cell(cells, 'method').toLowerCase()}|${cell(cells, 'reference')}`;

    return {
      committed(rowNumber, cells) {
        const key = keyOf(cells);
        if (!seen.has(key)) seen.set(key, rowNumber);
      },
      check(rowNumber, cells) {
        const idNumber = cell(cells, 'idNumber').replace(/[\s-]/g, '');
        const amountText = cell(cells, 'amount');
        const paidOn = cell(cells, 'paidOn');
        const reference = cell(cells, 'reference');
        const method = cell(cells, 'method').toLowerCase();
        const fields = [
          masked(idNumber.slice(0, 13)),
          amountText.slice(0, 20) || null,
          paidOn.slice(0, 20) || null,
          reference.slice(0, 64) || null,
          method.slice(0, 20) || null,
        ];
        const reasons: string[] = [];
        if (!/^\d{13}$/.test(idNumber)) reasons.push('idNumber: not a 13-digit ID number');
        const amountCents = randsToCents(amountText);
        if (amountCents === null)
          reasons.push('amount: not an amount in rands (e.g. 10.00, at most two decimals)');
        else if (amountCents <= 0) reasons.push('amount: must be more than zero');
        else if (amountCents > context.maxAmountCents)
          reasons.push(`amount: at most R${context.maxAmountCents / 100}`);
        if (!validDate(paidOn)) reasons.push('paidOn: not a date (YYYY-MM-DD)');
        else if (paidOn > context.today) reasons.push('paidOn: may not be in the future');
        if (!reference) reasons.push('reference: required');
        else if (reference.length > 64 || hasControl(reference))
          reasons.push('reference: at most 64 characters, no control characters');
        if (!(RENEWAL_METHODS as readonly string[]).includes(method))
          reasons.push(
            method === 'card'
              ? 'method: card payments come only through the checkout'
              : 'method: one of cash, eft, external',
          );
        if (reasons.length > 0)
          return { rejected: { rowNumber, duplicate: false, reasons, fields } };
        const key = `${method}|${reference}`;
        const first = seen.get(key);
        if (first !== undefined)
          return {
            rejected: {
              rowNumber,
              duplicate: true,
              reasons: [`reference: the same ${method} reference is on row ${first} of this file`],
              fields,
            },
          };
        seen.set(key, rowNumber);
        return {
          row: {
            rowNumber,
            idNumber,
            amountCents: amountCents ?? 0,
            paidOn,
            reference,
            method,
            fields,
          },
        };
      },
      async writeBatch(db, batch) {
        return writeRenewals(db, job, context, batch.rows);
      },
    };
  },
});

const reject = (row: RenewalRow, reason: string, duplicate = false): RejectedRow => ({
  rowNumber: row.rowNumber,
  duplicate,
  reasons: [reason],
  fields: row.fields,
});

async function writeRenewals(
  db: BatchConnection,
  job: ImportWorkerJob,
  context: RenewalsImportContext,
  rows: RenewalRow[],
): Promise<{ inserted: number; updated: number; rejected: RejectedRow[] }> {
  const found = await db.query<MemberFound>(MEMBERS_SQL, [
    [...new Set(rows.map((r) => r.idNumber))],
  ]);
  const members = new Map(found.map((m) => [m.id_number, m]));
  // A real run learns of references already recorded from the insert (ON CONFLICT); a dry run asks.
  const existing = job.dryRun
    ? await db.query<{ method: string; reference: string }>(EXISTING_SQL, [
        rows.map((r) => r.method),
        rows.map((r) => r.reference),
      ])
    : [];
  const taken = new Set(existing.map((e) => `${e.method}|${e.reference}`));
  const rejected: RejectedRow[] = [];
  const accepted: { row: RenewalRow; member: MemberFound }[] = [];
  for (const row of rows) {
    const member = members.get(row.idNumber);
    if (!member || !inScope(job, member)) rejected.push(reject(row, UNKNOWN_MEMBER_REASON));
    else if (member.ward_code !== context.wardCode)
      rejected.push(
        reject(
          row,
          `idNumber: the member is in ward ${member.ward_code}, not in the file's ward ${context.wardCode}`,
        ),
      );
    else if (member.anonymised || CLOSED.has(member.status))
      rejected.push(
        reject(
          row,
          `idNumber: a member who is ${member.anonymised ? 'erased' : member.status} cannot pay a renewal`,
        ),
      );
    else if (taken.has(`${row.method}|${row.reference}`))
      rejected.push(
        reject(
          row,
          `reference: a ${row.method} payment with this reference is already recorded`,
          true,
        ),
      );
    else accepted.push({ row, member });
  }
  if (job.dryRun || accepted.length === 0)
    return { inserted: accepted.length, updated: 0, rejected };
  const written = await db.query<{ method: string; reference: string }>(INSERT_SQL, [
    accepted.map((a) => a.member.id),
    accepted.map((a) => a.row.method),
    accepted.map((a) => a.row.reference),
    accepted.map((a) => a.row.amountCents),
    accepted.map((a) => a.row.paidOn),
    accepted.map((a) => a.member.ward_code),
    accepted.map((a) => a.member.municipality_code),
    accepted.map((a) => a.member.district_code),
    accepted.map((a) => a.member.province_code),
    job.uploadedBy,
    job.id,
  ]);
  const ok = new Set(written.map((w) => `${w.method}|${w.reference}`));
  for (const a of accepted)
    if (!ok.has(`${a.row.method}|${a.row.reference}`))
      rejected.push(
        reject(
          a.row,
          `reference: a ${a.row.method} payment with this reference is already recorded`,
          true,
        ),
      );
  return { inserted: written.length, updated: 0, rejected };
}
