import type { Writable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuthUser, Role, Scope, ScopedSql, scopeProvinceCode } from '@app/auth';
import { AuditService } from '@app/core';
import type { MemberFiltersDto } from '../dto/member.dto.js';
import { memberFilterConditions } from '../member-filter-sql.js';
import { isMinimised, MINIMISED_ROLES, PersonalField } from '../minimisation.js';
import { TableColumn, TableFormat, writeTable } from '@app/files';

interface ExportRow {
  id: string;
  membership_number: string;
  id_number: string;
  first_names: string;
  surname: string;
  gender: string;
  date_of_birth: string;
  cell_number: string | null;
  email: string | null;
  residential_address: string | null;
  ward_code: string;
  municipality_code: string;
  district_code: string;
  province_code: string;
  status: string;
  joined_on: string;
  last_paid_on: string | null;
  expires_on: string | null;
  contact_objected: boolean;
}

interface Field {
  header: string;
  value: (row: ExportRow) => string | null;
  /** Identity or contact data (which one): left out for minimised roles (auditors), see minimisation.ts. */
  personal?: PersonalField;
  /** Contact details: also left out for members who objected to being contacted. */
  contact?: boolean;
}

const FIELDS: readonly Field[] = [
  { header: 'Membership Number', value: (r) => r.membership_number },
  { header: 'ID Number', value: (r) => r.id_number.trim(), personal: 'idNumber' },
  { header: 'First Names', value: (r) => r.first_names },
  { header: 'Surname', value: (r) => r.surname },
  { header: 'Gender', value: (r) => r.gender },
  { header: 'Date of Birth', value: (r) => r.date_of_birth, personal: 'dateOfBirth' },
  { header: 'Cell Number', value: (r) => r.cell_number, personal: 'cellNumber', contact: true },
  { header: 'Email', value: (r) => r.email, personal: 'email', contact: true },
  {
    header: 'Residential Address',
    value: (r) => r.residential_address,
    personal: 'residentialAddress',
    contact: true,
  },
  { header: 'Ward Code', value: (r) => r.ward_code },
  { header: 'Municipality Code', value: (r) => r.municipality_code },
  { header: 'District Code', value: (r) => r.district_code },
  { header: 'Province Code', value: (r) => r.province_code },
  { header: 'Status', value: (r) => r.status },
  { header: 'Joined On', value: (r) => r.joined_on },
  { header: 'Last Paid On', value: (r) => r.last_paid_on },
  { header: 'Expires On', value: (r) => r.expires_on },
];

/** Roles whose exports are minimised (POPIA): no ID numbers, dates of birth or contact details. */
export const MINIMISED_EXPORT_ROLES: readonly Role[] = MINIMISED_ROLES;

const BATCH = 2000;

/** ExportRow's columns, under its names. */
const EXPORT_COLUMNS = [
  'm.id',
  'm.membership_number',
  'm.id_number',
  'm.first_names',
  'm.surname',
  'm.gender',
  `to_char(m.date_of_birth, 'YYYY-MM-DD') AS date_of_birth`,
  'm.cell_number',
  'm.email',
  'm.residential_address',
  'm.ward_code',
  'm.municipality_code',
  'm.district_code',
  'm.province_code',
  'm.status',
  `to_char(m.joined_on, 'YYYY-MM-DD') AS joined_on`,
  `to_char(m.last_paid_on, 'YYYY-MM-DD') AS last_paid_on`,
  `to_char(m.expires_on, 'YYYY-MM-DD') AS expires_on`,
  'm.contact_objected_at IS NOT NULL AS contact_objected',
].join(', ');

/**
 * One keyset batch of the export: the members the list would show for `filters` inside `scope`
 * (memberFilterConditions), less anonymised ones, with ids after `afterId`, in id order.
 */
export function memberExportBatchQuery(
  scope: Scope,
  filters: MemberFiltersDto,
  afterId: string | null,
  limit: number,
): { text: string; values: unknown[] } {
  const sql = new ScopedSql();
  const where = [...memberFilterConditions(sql, scope, filters), 'm.anonymised_at IS NULL'];
  if (afterId) where.push(`m.id > ${sql.param(afterId)}`);
  return {
    text: `SELECT ${EXPORT_COLUMNS} FROM members m WHERE ${where.join(' AND ')} ORDER BY m.id LIMIT ${sql.param(limit)}`,
    values: sql.values,
  };
}

/**
 * Streams the members matching the list's filters inside the caller's scope, in keyset batches (never the
 * whole result in memory), minimised by role, and audits who exported what.
 */
@Injectable()
export class MemberExportService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  fieldsFor(actor: AuthUser): readonly Field[] {
    return isMinimised(actor) ? FIELDS.filter((f) => !f.personal) : FIELDS;
  }

  async export(
    actor: AuthUser,
    filters: MemberFiltersDto,
    format: TableFormat,
    out: Writable,
  ): Promise<number> {
    const fields = this.fieldsFor(actor);
    const columns: TableColumn[] = fields.map((f) => ({ header: f.header }));
    const batches = this.batches(actor, filters);
    async function* rows(): AsyncGenerator<(string | null)[]> {
      for await (const batch of batches) {
        for (const row of batch) {
          yield fields.map((f) => (f.contact && row.contact_objected ? null : f.value(row)));
        }
      }
    }
    // The audit entry is written before the download ends: no export is ever complete without it.
    const count = await writeTable(out, format, columns, rows(), (rowCount) =>
      this.audit.record({
        action: 'members.exported',
        entityType: 'member',
        changes: {
          format,
          filters: { ...filters },
          rows: rowCount,
          fields: fields.map((f) => f.header),
          minimised: fields.length < FIELDS.length,
        },
        provinceCode: scopeProvinceCode(actor.scope),
      }),
    );
    return count;
  }

  private async *batches(actor: AuthUser, filters: MemberFiltersDto): AsyncGenerator<ExportRow[]> {
    let afterId: string | null = null;
    for (;;) {
      const { text, values } = memberExportBatchQuery(actor.scope, filters, afterId, BATCH);
      const rows = await this.dataSource.query<ExportRow[]>(text, values);
      if (rows.length > 0) yield rows;
      const last = rows[rows.length - 1];
      if (!last || rows.length < BATCH) return;
      afterId = last.id;
    }
  }
}
