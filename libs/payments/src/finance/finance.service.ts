import type { Writable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  AuthUser,
  coversScope,
  scoped,
  Scope,
  ScopedSql,
  ScopeLevel,
  scopeProvinceCode,
} from '@app/auth';
import {
  AppException,
  AuditService,
  decodeCreatedAtCursor,
  decodeCursor,
  invalidCursor,
  Page,
  ReadConnection,
  todayInSouthAfrica,
  toPage,
} from '@app/core';
import { TableColumn, TableFormat, writeTable } from '@app/files';
import { GeographyLevel, GeographyService } from '@app/geography';
import { isMinimised } from '@app/members';
import { PaymentDto } from '../dto/payment.dto.js';
import { Payment, PaymentMethod, PaymentStatus } from '../entities/payment.entity.js';
import { toPaymentDto } from '../payments.service.js';
import {
  ForecastAreaCountDto,
  ForecastMemberDto,
  ForecastWindow,
  PaymentTotalRowDto,
  PaymentTotalsDto,
  PaymentTotalsQueryDto,
  RenewalForecastDto,
} from './dto/finance.dto.js';

/** The longest period the totals cover (so the rows stay a bounded, unpaged list). */
export const MAX_TOTALS_MONTHS = 36;
const EXPORT_BATCH = 2000;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/** The column of each level's code on payments and members (the denormalised area chain). */
const CODE_COLUMN: Record<Exclude<ScopeLevel, ScopeLevel.National>, string> = {
  [ScopeLevel.Province]: 'province_code',
  [ScopeLevel.District]: 'district_code',
  [ScopeLevel.Municipality]: 'municipality_code',
  [ScopeLevel.Ward]: 'ward_code',
};
/** The level whose areas a forecast is broken down by: the children of the area (a ward: itself). */
const CHILD_LEVEL: Record<ScopeLevel, Exclude<ScopeLevel, ScopeLevel.National>> = {
  [ScopeLevel.National]: ScopeLevel.Province,
  [ScopeLevel.Province]: ScopeLevel.District,
  [ScopeLevel.District]: ScopeLevel.Municipality,
  [ScopeLevel.Municipality]: ScopeLevel.Ward,
  [ScopeLevel.Ward]: ScopeLevel.Ward,
};

function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

function monthsBetween(from: string, to: string): number {
  const [fy, fm] = from.split('-').map(Number) as [number, number];
  const [ty, tm] = to.split('-').map(Number) as [number, number];
  return (ty - fy) * 12 + (tm - fm) + 1;
}

interface ForecastRow {
  id: string;
  membership_number: string;
  first_names: string;
  surname: string;
  status: string;
  expires_on: string;
  last_paid_on: string | null;
  ward_code: string;
  cell_number: string | null;
  email: string | null;
  contact_objected: boolean;
}

interface ForecastField {
  header: string;
  value: (row: ForecastRow) => string | null;
  /** Contact data: left out for minimised roles, null for members who objected to contact. */
  contact?: boolean;
}

const FORECAST_FIELDS: readonly ForecastField[] = [
  { header: 'Membership Number', value: (r) => r.membership_number },
  { header: 'First Names', value: (r) => r.first_names },
  { header: 'Surname', value: (r) => r.surname },
  { header: 'Status', value: (r) => r.status },
  { header: 'Expires On', value: (r) => r.expires_on },
  { header: 'Last Paid On', value: (r) => r.last_paid_on },
  { header: 'Ward Code', value: (r) => r.ward_code },
  { header: 'Cell Number', value: (r) => r.cell_number, contact: true },
  { header: 'Email', value: (r) => r.email, contact: true },
];

const PENDING_COLUMNS: readonly TableColumn[] = [
  'Payment Id',
  'Recorded At',
  'Paid On',
  'Method',
  'Reference',
  'Amount (cents)',
  'Member Id',
  'Application Id',
  'Ward Code',
  'Recorded By',
].map((header) => ({ header }));

const TOTALS_COLUMNS: readonly TableColumn[] = [
  'Month',
  'Method',
  'Status',
  'Count',
  'Amount (cents)',
].map((header) => ({ header }));

/**
 * The finance views: the verification queue, totals by month and method, and the renewal forecast, each
 * inside the caller's area (an area asked for must lie inside it, else 404), as pages and as streamed exports
 * through libs/files' table writer. Every export is audited.
 */
@Injectable()
export class FinanceService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly reads: ReadConnection,
    private readonly geography: GeographyService,
    private readonly audit: AuditService,
  ) {}

  /** The area asked for (default the caller's own): 400 when half given, 404 unless it exists inside the scope. */
  async area(actor: AuthUser, level?: ScopeLevel, code?: string): Promise<Scope> {
    if (level === undefined && code === undefined) return actor.scope;
    if (level === undefined)
      throw AppException.badRequest('areaLevel is required with areaCode', 'areaLevel');
    if (level === ScopeLevel.National) {
      if (code !== undefined)
        throw AppException.badRequest('areaCode is not used with areaLevel national', 'areaCode');
      if (!coversScope(actor, { level, code: null }, null)) throw AppException.notFound('Area');
      return { level, code: null };
    }
    if (code === undefined)
      throw AppException.badRequest(`areaCode is required for areaLevel ${level}`, 'areaCode');
    const chain = await this.geography.areaChain(level as unknown as GeographyLevel, code);
    if (!chain || !coversScope(actor, { level, code }, chain)) throw AppException.notFound('Area');
    return { level, code };
  }

  // --- pending payments (the verification queue) ---

  async pending(
    actor: AuthUser,
    area: Scope,
    page: { limit: number; cursor?: string },
  ): Promise<Page<PaymentDto>> {
    const qb = scoped(
      scoped(this.dataSource.manager.createQueryBuilder(Payment, 'p'), actor.scope, 'p'),
      area,
      'p',
    ).andWhere('p.status = :status', { status: PaymentStatus.Pending });
    if (page.cursor) {
      const after = decodeCreatedAtCursor(page.cursor);
      if (!after) throw invalidCursor();
      qb.andWhere(
        `(p.created_at, p.id) > (CAST(:cursorAt AS timestamp) AT TIME ZONE 'UTC', :cursorId)`,
        { cursorAt: after.at, cursorId: after.id },
      );
    }
    qb.addSelect(
      `to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`,
      'cursor_at',
    )
      .orderBy('p.createdAt', 'ASC')
      .addOrderBy('p.id', 'ASC')
      .limit(page.limit + 1);
    const { entities, raw } = await qb.getRawAndEntities<{ cursor_at: string }>();
    const rows = entities.map((p, i) => ({ dto: toPaymentDto(p), at: raw[i]?.cursor_at ?? '' }));
    const result = toPage(rows, page.limit, (r) => [r.at, r.dto.id]);
    return { data: result.data.map((r) => r.dto), nextCursor: result.nextCursor };
  }

  async exportPending(
    actor: AuthUser,
    area: Scope,
    format: TableFormat,
    out: Writable,
  ): Promise<number> {
    const next = (cursor: string | undefined) =>
      this.pending(actor, area, { limit: EXPORT_BATCH, cursor });
    async function* rows(): AsyncGenerator<(string | null)[]> {
      let cursor: string | undefined;
      for (;;) {
        const page = await next(cursor);
        for (const p of page.data)
          yield [
            p.id,
            p.createdAt.toISOString(),
            p.paidOn,
            p.method,
            p.reference,
            String(p.amountCents),
            p.memberId,
            p.applicationId,
            p.wardCode,
            p.recordedBy,
          ];
        if (!page.nextCursor) return;
        cursor = page.nextCursor;
      }
    }
    return writeTable(out, format, PENDING_COLUMNS, rows(), (count) =>
      this.exported(actor, 'pending_payments', format, area, { rows: count }),
    );
  }

  // --- totals by month and method ---

  async totals(
    actor: AuthUser,
    area: Scope,
    query: PaymentTotalsQueryDto,
  ): Promise<PaymentTotalsDto> {
    const to = query.to ?? todayInSouthAfrica();
    const from = query.from ?? `${addMonths(to.slice(0, 7), -11)}-01`;
    if (!DATE_RE.test(from) || !DATE_RE.test(to) || from > to)
      throw AppException.badRequest('from must not be after to', 'from');
    if (monthsBetween(from, to) > MAX_TOTALS_MONTHS)
      throw AppException.badRequest(
        `The totals cover at most ${MAX_TOTALS_MONTHS} months`,
        'from',
        'tooLong',
      );
    const sql = new ScopedSql();
    const where = [
      sql.scope(actor.scope, 'p'),
      sql.scope(area, 'p'),
      `p.paid_on BETWEEN ${sql.param(from)}::date AND ${sql.param(to)}::date`,
    ];
    if (query.status !== 'all') where.push(`p.status = ${sql.param(query.status)}`);
    const rows = await this.reads.query<{
      month: string;
      method: PaymentMethod;
      status: PaymentStatus;
      count: number;
      amount_cents: string;
    }>(
      `SELECT to_char(p.paid_on, 'YYYY-MM') AS month, p.method, p.status, count(*)::int AS count,
              sum(p.amount_cents)::bigint AS amount_cents
         FROM payments p
        WHERE ${where.join(' AND ')}
        GROUP BY 1, 2, 3
        ORDER BY 1, 2, 3`,
      sql.values,
    );
    return {
      areaLevel: area.level,
      areaCode: area.code,
      from,
      to,
      rows: rows.map((r): PaymentTotalRowDto => ({
        month: r.month,
        method: r.method,
        status: r.status,
        count: r.count,
        amountCents: Number(r.amount_cents),
      })),
    };
  }

  /** Writes totals already computed (so a bad period is a 400 before any download header goes out). */
  async exportTotals(
    actor: AuthUser,
    area: Scope,
    totals: PaymentTotalsDto,
    status: string,
    format: TableFormat,
    out: Writable,
  ): Promise<number> {
    async function* rows(): AsyncGenerator<(string | null)[]> {
      for (const r of totals.rows)
        yield [r.month, r.method, r.status, String(r.count), String(r.amountCents)];
    }
    return writeTable(out, format, TOTALS_COLUMNS, rows(), (count) =>
      this.exported(actor, 'payment_totals', format, area, {
        from: totals.from,
        to: totals.to,
        status,
        rows: count,
      }),
    );
  }

  // --- the renewal forecast ---

  private forecastWindow(days: ForecastWindow): { from: string; to: string } {
    const from = todayInSouthAfrica();
    return { from, to: addDays(from, days) };
  }

  private forecastWhere(
    sql: ScopedSql,
    actor: AuthUser,
    area: Scope,
    days: ForecastWindow,
  ): string[] {
    const { from, to } = this.forecastWindow(days);
    return [
      sql.scope(actor.scope, 'm'),
      sql.scope(area, 'm'),
      'm.anonymised_at IS NULL',
      `m.status NOT IN ('cancelled', 'deceased')`,
      `m.expires_on BETWEEN ${sql.param(from)}::date AND ${sql.param(to)}::date`,
    ];
  }

  async forecast(actor: AuthUser, area: Scope, days: ForecastWindow): Promise<RenewalForecastDto> {
    const child = CHILD_LEVEL[area.level];
    const sql = new ScopedSql();
    const where = this.forecastWhere(sql, actor, area, days);
    const rows = await this.reads.query<{ code: string; count: number }>(
      `SELECT m.${CODE_COLUMN[child]} AS code, count(*)::int AS count
         FROM members m
        WHERE ${where.join(' AND ')}
        GROUP BY 1
        ORDER BY 1`,
      sql.values,
    );
    const areas = rows.map((r): ForecastAreaCountDto => ({
      level: child,
      code: r.code,
      count: r.count,
    }));
    return {
      areaLevel: area.level,
      areaCode: area.code,
      days,
      ...this.forecastWindow(days),
      total: areas.reduce((sum, a) => sum + a.count, 0),
      areas,
    };
  }

  private async forecastRows(
    actor: AuthUser,
    area: Scope,
    days: ForecastWindow,
    limit: number,
    after: { expiresOn: string; id: string } | null,
  ): Promise<ForecastRow[]> {
    const sql = new ScopedSql();
    const where = this.forecastWhere(sql, actor, area, days);
    if (after)
      where.push(
        `(m.expires_on, m.id) > (${sql.param(after.expiresOn)}::date, ${sql.param(after.id)}::uuid)`,
      );
    return this.reads.query<ForecastRow>(
      `SELECT m.id, m.membership_number, m.first_names, m.surname, m.status,
              to_char(m.expires_on, 'YYYY-MM-DD') AS expires_on,
              to_char(m.last_paid_on, 'YYYY-MM-DD') AS last_paid_on, m.ward_code, m.cell_number, m.email,
              m.contact_objected_at IS NOT NULL AS contact_objected
         FROM members m
        WHERE ${where.join(' AND ')}
        ORDER BY m.expires_on, m.id
        LIMIT ${sql.param(limit)}`,
      sql.values,
    );
  }

  async forecastMembers(
    actor: AuthUser,
    area: Scope,
    days: ForecastWindow,
    page: { limit: number; cursor?: string },
  ): Promise<Page<ForecastMemberDto>> {
    let after: { expiresOn: string; id: string } | null = null;
    if (page.cursor) {
      const [expiresOn, id] = decodeCursor(page.cursor, 2);
      if (typeof expiresOn !== 'string' || !DATE_RE.test(expiresOn) || typeof id !== 'string')
        throw invalidCursor();
      if (!/^[0-9a-f-]{36}$/i.test(id)) throw invalidCursor();
      after = { expiresOn, id };
    }
    const rows = await this.forecastRows(actor, area, days, page.limit + 1, after);
    const minimisedRole = isMinimised(actor);
    const result = toPage(rows, page.limit, (r) => [r.expires_on, r.id]);
    return {
      data: result.data.map((r): ForecastMemberDto => {
        const base: ForecastMemberDto = {
          id: r.id,
          membershipNumber: r.membership_number,
          firstNames: r.first_names,
          surname: r.surname,
          status: r.status,
          expiresOn: r.expires_on,
          lastPaidOn: r.last_paid_on,
          wardCode: r.ward_code,
        };
        if (minimisedRole) return { ...base, minimised: true };
        return {
          ...base,
          cellNumber: r.contact_objected ? null : r.cell_number,
          email: r.contact_objected ? null : r.email,
        };
      }),
      nextCursor: result.nextCursor,
    };
  }

  async exportForecast(
    actor: AuthUser,
    area: Scope,
    days: ForecastWindow,
    format: TableFormat,
    out: Writable,
  ): Promise<number> {
    const fields = isMinimised(actor) ? FORECAST_FIELDS.filter((f) => !f.contact) : FORECAST_FIELDS;
    const next = (after: { expiresOn: string; id: string } | null) =>
      this.forecastRows(actor, area, days, EXPORT_BATCH, after);
    async function* rows(): AsyncGenerator<(string | null)[]> {
      let after: { expiresOn: string; id: string } | null = null;
      for (;;) {
        const batch = await next(after);
        for (const row of batch)
          yield fields.map((f) => (f.contact && row.contact_objected ? null : f.value(row)));
        const last = batch[batch.length - 1];
        if (!last || batch.length < EXPORT_BATCH) return;
        after = { expiresOn: last.expires_on, id: last.id };
      }
    }
    return writeTable(
      out,
      format,
      fields.map((f) => ({ header: f.header })),
      rows(),
      (count) =>
        this.exported(actor, 'renewal_forecast', format, area, {
          days,
          rows: count,
          minimised: fields.length < FORECAST_FIELDS.length,
        }),
    );
  }

  /** The audit entry of an export, written before the download ends (no export is complete without it). */
  private exported(
    actor: AuthUser,
    view: string,
    format: TableFormat,
    area: Scope,
    details: Record<string, unknown>,
  ): Promise<void> {
    return this.audit.record({
      action: 'finance.exported',
      entityType: 'payment',
      changes: { view, format, areaLevel: area.level, areaCode: area.code, ...details },
      provinceCode: scopeProvinceCode(actor.scope),
    });
  }
}

/** `YYYY-MM` moved by `delta` months. */
function addMonths(month: string, delta: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const index = y * 12 + (m - 1) + delta;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}
