import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Writable } from 'node:stream';
import { DataSource } from 'typeorm';
import { AuthUser, requireWithinScope, ScopeLevel, withinScope } from '@app/auth';
import {
  APP_CONFIG,
  AppException,
  AuditService,
  decodeCursor,
  DomainEventBus,
  domainEvent,
  DomainEventType,
  ErrorCode,
  encodeCursor,
  Page,
} from '@app/core';
import type { AppConfig } from '@app/core';
import { PdfWriter, writeTable } from '@app/files';
import { GeographyService, WardChain } from '@app/geography';
import { MemberStandingService } from '@app/members';
import { AssemblyType, CriterionState } from './branches.enums.js';
import {
  ApprovalDto,
  ApproveComplianceDto,
  AuditRecordDto,
  CriterionDto,
  WardAuditExportQueryDto,
  WardAuditQueryDto,
  WardComplianceDto,
} from './dto/branches.dto.js';
import { WardAuditRecord } from './entities/ward-audit-record.entity.js';
import type { VerifiedFigures } from './entities/branch-meeting.entity.js';
import { figuresOf, wardFiguresSql } from './meeting-figures.js';
import type { WardFigureCounts } from './meeting-figures.js';

const WARD_RE = /^\d{8}$/;

const NO_COUNTS: WardFigureCounts = {
  invited: 0,
  inGoodStanding: 0,
  attendees: 0,
  attendeesInGoodStanding: 0,
};

/** One row of WardAuditService.snapshot. */
interface WardSnapshot {
  active: number;
  delegates: number;
  bga: {
    id: string;
    scheduledOn: string;
    verifiedAt: string | null;
    verifiedFigures: VerifiedFigures | null;
    presidingMemberId: string | null;
    secretaryMemberId: string | null;
  } | null;
  live: WardFigureCounts | null;
  approval: {
    id: string;
    actorUserId: string;
    createdAt: string;
    exception: boolean;
    reason: string | null;
    compliant: boolean;
  } | null;
}

function approvalDto(r: WardAuditRecord): ApprovalDto {
  return {
    id: r.id,
    approvedBy: r.actorUserId,
    approvedAt: r.createdAt.toISOString(),
    exception: r.exception,
    reason: r.reason,
    compliantWhenApproved: r.compliant,
  };
}

/**
 * The ward audit: five criteria, each judged from data with its figures; approval by an admin above the ward
 * (with an optional documented exception); every evaluation and approval kept in ward_audit_records and the
 * audit log. A ward's answer costs a handful of indexed queries (see bench/ward-audit.mjs).
 */
@Injectable()
export class WardAuditService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly geography: GeographyService,
    private readonly standing: MemberStandingService,
    private readonly audit: AuditService,
    private readonly events: DomainEventBus,
  ) {}

  /** The ward's chain when it is inside the caller's scope; else 404 (reads) whether or not it exists. */
  private async visibleWard(actor: AuthUser, code: string): Promise<WardChain> {
    const chain = WARD_RE.test(code) ? await this.geography.findWardChain(code) : null;
    if (!chain || !withinScope(actor, chain)) throw AppException.notFound(`Ward ${code}`);
    return chain;
  }

  /**
   * Everything the five criteria and the latest approval need, in one statement (one round trip): today's Active
   * count (index (ward_code, status)), the latest held BGA with its frozen figures, or, while it is unverified, its
   * figures computed live (statusOnDateSql + wardFiguresSql, the rule of MeetingsService.figures), the active SRPA
   * delegates and the latest approval. The live part reads nothing when the BGA is verified or there is none.
   */
  private async snapshot(ward: string): Promise<WardSnapshot> {
    const [row] = await this.dataSource.query<WardSnapshot[]>(
      `WITH bga AS (
         SELECT id, to_char(scheduled_on, 'YYYY-MM-DD') AS "scheduledOn", verified_at AS "verifiedAt",
                verified_figures AS "verifiedFigures", presiding_member_id AS "presidingMemberId",
                secretary_member_id AS "secretaryMemberId", scheduled_on
           FROM branch_meetings
          WHERE ward_code = $1 AND type = 'bga' AND status = 'held'
          ORDER BY scheduled_on DESC, id DESC LIMIT 1
       ), on_day AS (
         SELECT scheduled_on AS d, ((scheduled_on + 1)::timestamp AT TIME ZONE 'Africa/Johannesburg') AS cutoff
           FROM bga WHERE "verifiedFigures" IS NULL
       ), ${this.standing.statusOnDateSql('$1')}, live AS (
         ${wardFiguresSql('(SELECT id FROM bga)')}
       )
       SELECT (SELECT count(*)::int FROM members WHERE ward_code = $1 AND status = 'active') AS "active",
              (SELECT count(*)::int FROM branch_delegates
                WHERE ward_code = $1 AND assembly = 'srpa' AND active) AS "delegates",
              (SELECT json_build_object('id', id, 'scheduledOn', "scheduledOn", 'verifiedAt', "verifiedAt",
                        'verifiedFigures', "verifiedFigures", 'presidingMemberId', "presidingMemberId",
                        'secretaryMemberId', "secretaryMemberId") FROM bga) AS "bga",
              CASE WHEN EXISTS (SELECT 1 FROM on_day) THEN (SELECT row_to_json(live) FROM live) END AS "live",
              (SELECT json_build_object('id', r.id, 'actorUserId', r.actor_user_id, 'createdAt', r.created_at,
                        'exception', r.exception, 'reason', r.reason, 'compliant', r.compliant)
                 FROM ward_audit_records r WHERE r.ward_code = $1 AND r.kind = 'approval'
                ORDER BY r.created_at DESC LIMIT 1) AS "approval"`,
      [ward],
    );
    if (!row) throw new Error(`No compliance row for ward ${ward}`);
    return row;
  }

  /** The five criteria of one ward, now. `activeCount` may be given when already counted (area views). */
  async evaluate(
    chain: WardChain,
    activeCount?: number,
  ): Promise<Omit<WardComplianceDto, 'approval'>> {
    return this.criteria(chain, await this.snapshot(chain.wardCode), activeCount);
  }

  private criteria(
    chain: WardChain,
    snapshot: WardSnapshot,
    activeCount?: number,
  ): Omit<WardComplianceDto, 'approval'> {
    const active = activeCount ?? snapshot.active;
    const { bga, delegates } = snapshot;
    const minimum = this.config.GOOD_STANDING_MIN_ACTIVE;
    const criteria: CriterionDto[] = [
      {
        key: 'active_members',
        state: active >= minimum ? CriterionState.Passed : CriterionState.Failed,
        description: `At least ${minimum} Active members (and at least 5 in each voting district, once voting districts are known)`,
        figures: { activeMembers: active, minimum, votingDistricts: CriterionState.NotEvaluated },
      },
    ];
    const figures: VerifiedFigures | null = bga
      ? (bga.verifiedFigures ?? figuresOf(snapshot.live ?? NO_COUNTS))
      : null;
    const meetingFigures = bga
      ? { meetingId: bga.id, scheduledOn: bga.scheduledOn }
      : { meetingId: null, scheduledOn: null };
    criteria.push({
      key: 'bga_quorate',
      state: figures?.quorumMet ? CriterionState.Passed : CriterionState.Failed,
      description: 'The latest held Branch General Assembly was quorate',
      figures: {
        ...meetingFigures,
        inGoodStanding: figures?.inGoodStanding ?? null,
        quorum: figures?.quorum ?? null,
        attendeesInGoodStanding: figures?.attendeesInGoodStanding ?? null,
        quorumMet: figures?.quorumMet ?? false,
      },
    });
    const verifiedAt = bga?.verifiedAt ? new Date(bga.verifiedAt).toISOString() : null;
    criteria.push({
      key: 'bga_verified',
      state: verifiedAt ? CriterionState.Passed : CriterionState.Failed,
      description: 'That meeting was verified by an admin above the one who recorded it',
      figures: { ...meetingFigures, verifiedAt },
    });
    criteria.push({
      key: 'officers_recorded',
      state:
        bga?.presidingMemberId && bga.secretaryMemberId
          ? CriterionState.Passed
          : CriterionState.Failed,
      description: 'A presiding officer and a secretary were recorded for that meeting',
      figures: {
        ...meetingFigures,
        presidingMemberId: bga?.presidingMemberId ?? null,
        secretaryMemberId: bga?.secretaryMemberId ?? null,
      },
    });
    criteria.push({
      key: 'delegates_selected',
      state: delegates > 0 ? CriterionState.Passed : CriterionState.Failed,
      description: 'Delegates were selected for the next assembly (SRPA)',
      figures: { assembly: AssemblyType.Srpa, selected: delegates },
    });
    return {
      ...chain,
      compliant: criteria.every((c) => c.state !== CriterionState.Failed),
      criteria,
      evaluatedAt: new Date().toISOString(),
    };
  }

  private async latestApprovals(wards: readonly string[]): Promise<Map<string, WardAuditRecord>> {
    if (wards.length === 0) return new Map();
    const rows = await this.dataSource.manager
      .createQueryBuilder(WardAuditRecord, 'r')
      .distinctOn(['r.ward_code'])
      .where('r.ward_code = ANY(:wards)', { wards: [...wards] })
      .andWhere("r.kind = 'approval'")
      .orderBy('r.ward_code')
      .addOrderBy('r.created_at', 'DESC')
      .getMany();
    return new Map(rows.map((r) => [r.wardCode, r]));
  }

  async compliance(actor: AuthUser, code: string): Promise<WardComplianceDto> {
    const chain = await this.visibleWard(actor, code);
    const snapshot = await this.snapshot(chain.wardCode);
    const a = snapshot.approval;
    return {
      ...this.criteria(chain, snapshot),
      approval: a
        ? {
            id: a.id,
            approvedBy: a.actorUserId,
            approvedAt: new Date(a.createdAt).toISOString(),
            exception: a.exception,
            reason: a.reason,
            compliantWhenApproved: a.compliant,
          }
        : null,
    };
  }

  /** Records the current evaluation (kept as a ward audit record and in the audit log). */
  async recordEvaluation(actor: AuthUser, code: string): Promise<AuditRecordDto> {
    const chain = WARD_RE.test(code) ? await this.geography.findWardChain(code) : null;
    if (!chain) throw AppException.notFound(`Ward ${code}`);
    requireWithinScope(actor, chain, 'You may evaluate wards only inside your own area');
    const evaluation = await this.evaluate(chain);
    const record = await this.store(actor, chain, 'evaluation', evaluation, false, null);
    return this.recordDto(record);
  }

  /**
   * Approval by an admin above the ward (not ward level) inside whose area it lies. A ward whose criteria do
   * not all pass is approved only with exception=true and a reason (else 422 WARD_NOT_COMPLIANT).
   */
  async approve(actor: AuthUser, code: string, dto: ApproveComplianceDto): Promise<AuditRecordDto> {
    const chain = WARD_RE.test(code) ? await this.geography.findWardChain(code) : null;
    if (!chain) throw AppException.notFound(`Ward ${code}`);
    requireWithinScope(actor, chain, 'You may approve wards only inside your own area');
    if (actor.scope.level === ScopeLevel.Ward) {
      throw AppException.forbidden('A ward is approved by an admin above it, not at ward level');
    }
    if (dto.exception && !dto.reason) {
      throw AppException.badRequest('An exception needs a reason', 'reason', 'reasonRequired');
    }
    const evaluation = await this.evaluate(chain);
    if (!evaluation.compliant && !dto.exception) {
      const failed = evaluation.criteria.filter((c) => c.state === CriterionState.Failed);
      throw new AppException(
        HttpStatus.UNPROCESSABLE_ENTITY,
        ErrorCode.WardNotCompliant,
        `Ward ${code} fails ${failed.map((c) => c.key).join(', ')}: approve it only as an exception with a reason`,
        undefined,
        { failed: failed.map((c) => c.key) },
      );
    }
    const record = await this.store(
      actor,
      chain,
      'approval',
      evaluation,
      dto.exception ?? false,
      dto.reason ?? null,
    );
    this.events.publish(
      domainEvent(DomainEventType.WardComplianceApproved, chain, {
        wardCode: chain.wardCode,
        approvalId: record.id,
        exception: record.exception,
      }),
    );
    return this.recordDto(record);
  }

  private store(
    actor: AuthUser,
    chain: WardChain,
    kind: 'evaluation' | 'approval',
    evaluation: Omit<WardComplianceDto, 'approval'>,
    exception: boolean,
    reason: string | null,
  ): Promise<WardAuditRecord> {
    return this.dataSource.transaction(async (manager) => {
      const saved = await manager.save(
        manager.create(WardAuditRecord, {
          kind,
          wardCode: chain.wardCode,
          municipalityCode: chain.municipalityCode,
          districtCode: chain.districtCode,
          provinceCode: chain.provinceCode,
          compliant: evaluation.compliant,
          criteria: evaluation.criteria,
          exception,
          reason,
          actorUserId: actor.id,
          actorLevel: actor.scope.level,
        }),
      );
      await this.audit.record(
        {
          action: kind === 'approval' ? 'branches.ward_approved' : 'branches.ward_evaluated',
          entityType: 'ward_audit_record',
          entityId: saved.id,
          provinceCode: chain.provinceCode,
          changes: {
            wardCode: { from: null, to: chain.wardCode },
            compliant: { from: null, to: evaluation.compliant },
            exception: { from: null, to: exception },
          },
        },
        manager,
      );
      return saved;
    });
  }

  private recordDto(r: WardAuditRecord): AuditRecordDto {
    return {
      id: r.id,
      kind: r.kind,
      compliant: r.compliant,
      exception: r.exception,
      reason: r.reason,
      actorUserId: r.actorUserId,
      criteria: r.criteria as CriterionDto[],
      createdAt: r.createdAt.toISOString(),
    };
  }

  async records(actor: AuthUser, code: string): Promise<AuditRecordDto[]> {
    const chain = await this.visibleWard(actor, code);
    const rows = await this.dataSource.manager.find(WardAuditRecord, {
      where: { wardCode: chain.wardCode },
      order: { createdAt: 'DESC' },
      take: 200,
    });
    return rows.map((r) => this.recordDto(r));
  }

  /** One ward's audit as a printable PDF: each criterion with its figures, and the latest approval. */
  async report(actor: AuthUser, code: string, out: Writable): Promise<void> {
    const c = await this.compliance(actor, code);
    const pdf = await PdfWriter.open(out, {
      title: 'Ward audit report',
      subtitle: `Ward ${c.wardCode} (${c.municipalityCode}, ${c.districtCode}, ${c.provinceCode})`,
    });
    pdf.fields([
      ['Compliant', c.compliant ? 'yes' : 'no'],
      ['Evaluated at', c.evaluatedAt],
      [
        'Approval',
        c.approval
          ? `${c.approval.approvedAt}${c.approval.exception ? ` (exception: ${c.approval.reason ?? ''})` : ''}`
          : 'not approved',
      ],
    ]);
    await pdf.table(
      [
        { header: 'Criterion', weight: 3 },
        { header: 'State', weight: 1 },
        { header: 'Figures', weight: 4 },
      ],
      c.criteria.map((k) => [
        k.description,
        k.state,
        Object.entries(k.figures)
          .map(
            ([key, value]) =>
              `${key}: ${value === null || value === undefined ? '-' : typeof value === 'string' ? value : JSON.stringify(value)}`,
          )
          .join('; '),
      ]),
    );
    await this.audit.record({
      action: 'branches.ward_audit_report',
      entityType: 'ward_audit',
      entityId: null,
      provinceCode: c.provinceCode,
      changes: { wardCode: { from: null, to: c.wardCode } },
    });
    await pdf.end();
  }

  /** The wards of the requested area (default: the caller's) that lie inside the caller's scope, by code. */
  private async wardsOf(
    actor: AuthUser,
    level: 'province' | 'district' | 'municipality' | undefined,
    code: string | undefined,
  ): Promise<WardChain[]> {
    if ((level && !code) || (!level && code)) {
      throw AppException.badRequest('level and code go together', level ? 'code' : 'level');
    }
    const key = level
      ? (
          {
            province: 'provinceCode',
            district: 'districtCode',
            municipality: 'municipalityCode',
          } as const
        )[level]
      : null;
    const all = await this.geography.wardChains();
    return all
      .filter((w) => (key ? w[key] === code : true) && withinScope(actor, w))
      .sort((a, b) => a.wardCode.localeCompare(b.wardCode));
  }

  async area(actor: AuthUser, query: WardAuditQueryDto): Promise<Page<WardComplianceDto>> {
    let wards = await this.wardsOf(actor, query.level, query.code);
    if (query.cursor) {
      const [after] = decodeCursor(query.cursor, 1);
      wards = wards.filter((w) => w.wardCode > String(after));
    }
    if (query.approved !== undefined) {
      const approved = await this.approvedWards(wards.map((w) => w.wardCode));
      wards = wards.filter((w) => approved.has(w.wardCode) === query.approved);
    }
    const page = wards.slice(0, query.limit);
    const evaluated = await this.evaluateMany(page);
    const last = page[page.length - 1];
    // The cursor follows the wards examined, so the compliant filter (applied per page) never skips a ward.
    return {
      data:
        query.compliant === undefined
          ? evaluated
          : evaluated.filter((r) => r.compliant === query.compliant),
      nextCursor: wards.length > query.limit && last ? encodeCursor([last.wardCode]) : null,
    };
  }

  private async approvedWards(wards: readonly string[]): Promise<Set<string>> {
    if (wards.length === 0) return new Set();
    const rows: { ward_code: string }[] = await this.dataSource.query(
      `SELECT DISTINCT ward_code FROM ward_audit_records WHERE kind = 'approval' AND ward_code = ANY($1::varchar[])`,
      [[...wards]],
    );
    return new Set(rows.map((r) => r.ward_code));
  }

  private async evaluateMany(wards: readonly WardChain[]): Promise<WardComplianceDto[]> {
    const codes = wards.map((w) => w.wardCode);
    const [active, approvals] = await Promise.all([
      this.standing.activeCounts(codes),
      this.latestApprovals(codes),
    ]);
    const out: WardComplianceDto[] = [];
    for (const w of wards) {
      const evaluation = await this.evaluate(w, active.get(w.wardCode) ?? 0);
      const approval = approvals.get(w.wardCode);
      out.push({ ...evaluation, approval: approval ? approvalDto(approval) : null });
    }
    return out;
  }

  /** The area view as CSV or XLSX (one row per ward: criteria states and the latest approval). */
  async export(actor: AuthUser, query: WardAuditExportQueryDto, out: Writable): Promise<void> {
    const wards = await this.wardsOf(actor, query.level, query.code);
    const columns = [
      { header: 'Ward' },
      { header: 'Municipality' },
      { header: 'District' },
      { header: 'Province' },
      { header: 'Active members' },
      { header: 'Active members (criterion)' },
      { header: 'BGA quorate' },
      { header: 'BGA verified' },
      { header: 'Officers recorded' },
      { header: 'Delegates selected' },
      { header: 'Compliant' },
      { header: 'Approved at' },
      { header: 'Exception' },
      { header: 'Reason' },
    ];
    const evaluateMany = (batch: WardChain[]): Promise<WardComplianceDto[]> =>
      this.evaluateMany(batch);
    async function* rows(): AsyncIterable<(string | null)[]> {
      for (let i = 0; i < wards.length; i += 100) {
        for (const r of await evaluateMany(wards.slice(i, i + 100))) {
          const state = (key: string): string => r.criteria.find((c) => c.key === key)?.state ?? '';
          const activeFigures = r.criteria[0]?.figures ?? {};
          yield [
            r.wardCode,
            r.municipalityCode,
            r.districtCode,
            r.provinceCode,
            JSON.stringify(activeFigures.activeMembers ?? ''),
            state('active_members'),
            state('bga_quorate'),
            state('bga_verified'),
            state('officers_recorded'),
            state('delegates_selected'),
            r.compliant ? 'yes' : 'no',
            r.approval?.approvedAt ?? null,
            r.approval ? (r.approval.exception ? 'yes' : 'no') : null,
            r.approval?.reason ?? null,
          ];
        }
      }
    }
    if (query.format === 'pdf') {
      const pdf = await PdfWriter.open(out, {
        title: 'Ward audit report',
        subtitle: query.level ? `${query.level} ${query.code ?? ''}` : 'Your area',
        landscape: true,
      });
      const count = await pdf.table(
        columns
          .filter((c) => c.header !== 'Reason')
          .map((c) => ({ header: c.header, weight: c.header === 'Approved at' ? 1.6 : 1 })),
        (async function* (): AsyncIterable<(string | null)[]> {
          for await (const r of rows()) yield [...r.slice(0, 13)];
        })(),
      );
      await this.audit.record({
        action: 'branches.ward_audit_exported',
        entityType: 'ward_audit',
        changes: { rows: { from: null, to: count }, format: { from: null, to: 'pdf' } },
      });
      await pdf.end();
      return;
    }
    await writeTable(out, query.format, columns, rows(), async (count) => {
      await this.audit.record({
        action: 'branches.ward_audit_exported',
        entityType: 'ward_audit',
        changes: { rows: { from: null, to: count }, format: { from: null, to: query.format } },
      });
    });
  }
}
