// The member row kind on the import's worker thread: the engine (libs/files/src/imports) imports only this module
// (and what it imports), by the path MemberImportKind registers. Nothing here may need Nest or the app.
import { defineRowKind, RejectedRow } from '@app/files/row-kind';
import type { MembershipPolicy } from '../membership-dates.js';
import type { WardChain } from '@app/geography';
import { ImportField, mapHeaders } from './import-columns.js';
import { checkRow, rejectedPreview, rowToBody } from './import-row.js';
import type { MemberRow, RejectedRow as MemberRejectedRow } from './import-row.js';
import { writeMembers } from './row-writer.js';

/** What the main thread gives each member import job (MemberImportKind.context). */
export interface MemberImportContext {
  wards: WardChain[];
  today: string;
  policy: MembershipPolicy;
  conflictLimit: number;
}

/** The report's columns after Row, Duplicate and Reasons, in the order of toRejectedRow's fields. */
export const MEMBER_REPORT_COLUMNS = [
  { header: 'ID Number (last 4)', width: 18 },
  { header: 'First Names', width: 24 },
  { header: 'Surname', width: 24 },
  { header: 'Ward Code', width: 12 },
] as const;

/** A member rejection as the engine stores it (POPIA: ID number masked to its last 4 digits, no contact details). */
export function toRejectedRow(row: MemberRejectedRow): RejectedRow {
  return {
    rowNumber: row.rowNumber,
    duplicate: row.duplicate,
    reasons: row.reasons,
    fields: [row.maskedIdNumber, row.firstNames, row.surname, row.wardCode],
  };
}

export const rowKind = defineRowKind<MemberRow, MemberImportContext>({
  mapHeaders,
  open(job, mapping, context) {
    const { scope } = job;
    const { today, policy, conflictLimit } = context;
    // The engine hands back what this kind's own mapHeaders returned.
    const columns = mapping.columns as Map<number, ImportField>;
    const wards = new Map(context.wards.map((w) => [w.wardCode, w]));
    /** ID number -> the file row it is first on: a later row with it is a duplicate. */
    const seen = new Map<string, number>();
    return {
      committed(rowNumber, cells) {
        // Committed before a crash: only remember its ID number, to find duplicates in the rest of the file.
        const body = rowToBody(cells, columns);
        if (typeof body.idNumber === 'string') {
          const key = body.idNumber.replace(/[\s-]/g, '');
          if (!seen.has(key)) seen.set(key, rowNumber);
        }
      },
      check(rowNumber, cells) {
        const body = rowToBody(cells, columns);
        const result = checkRow(rowNumber, body, wards, scope, today, policy);
        if ('rejected' in result) return { rejected: toRejectedRow(result.rejected) };
        const first = seen.get(result.member.idNumber);
        if (first !== undefined) {
          return {
            rejected: toRejectedRow(
              rejectedPreview(
                result.member,
                `idNumber: the same ID number is on row ${first} of this file`,
              ),
            ),
          };
        }
        seen.set(result.member.idNumber, rowNumber);
        return { row: result.member };
      },
      async writeBatch(db, batch, batchContext) {
        const written = await writeMembers(db, job, scope, batch.rows, batchContext, conflictLimit);
        return { ...written, rejected: written.rejected.map(toRejectedRow) };
      },
    };
  },
});
