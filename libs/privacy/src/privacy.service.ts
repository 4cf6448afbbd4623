import {
  erasePaymentTexts,
  PaymentReceiptsService,
  paymentTextsOf,
  PaymentsService,
} from '@app/payments';
import { TransferRequestsService } from '@app/portal';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuthUser, isNational } from '@app/auth';
import { APP_CONFIG, AppException, AuditService, DomainEventType, ErrorCode } from '@app/core';
import type { AppConfig } from '@app/core';
import { LeadershipService } from '@app/leadership';
import { OutboxService } from '@app/messaging';
import {
  ApplicationsService,
  LIST_ACCESS_ACTIONS,
  Member,
  MembersService,
  MemberStatus,
  MembershipApplication,
  MEMBERS_IMPORTED_ACTION,
  toApplicationDto,
  toHistoryEntryDto,
  toMemberDto,
} from '@app/members';
import {
  AccessLogEntryDto,
  APPLICATION_RECORD_FIELDS,
  ApplicationRecordDto,
  ErasureResultDto,
  MemberDataExportDto,
  MemberRecordDto,
  PrivacyStateDto,
  RecordConsentDto,
  RecordObjectionDto,
} from './dto/privacy.dto.js';
import {
  ERASED_FIRST_NAMES,
  ERASED_SURNAME,
  erasedIdNumber,
  personalValues,
  Scrubber,
  yearOnly,
} from './erasure.js';

/** The most audit events a data export lists (newest first). */
export const ACCESS_LOG_LIMIT = 1000;
/** The action of the bulk member export (libs/members exports, GET /members/export). */
export const BULK_EXPORT_ACTION = 'members.exported';
const ERASABLE: readonly MemberStatus[] = [MemberStatus.Cancelled, MemberStatus.Deceased];
const DAY_MS = 24 * 3600 * 1000;

interface AccessRow {
  occurred_at: Date;
  action: string;
  entity_type: string;
  entity_id: string | null;
  actor_user_id: string | null;
  actor_name: string | null;
  actor_email: string | null;
}

function stateDto(m: Member): PrivacyStateDto {
  return {
    id: m.id,
    membershipNumber: m.membershipNumber,
    consentGivenAt: m.consentGivenAt,
    contactObjectedAt: m.contactObjectedAt,
    anonymisedAt: m.anonymisedAt,
  };
}

function recordDto(m: Member): MemberRecordDto {
  return {
    ...toMemberDto(m),
    contactObjectedAt: m.contactObjectedAt,
    anonymisedAt: m.anonymisedAt,
  };
}

function applicationDto(a: MembershipApplication): ApplicationRecordDto {
  const full = toApplicationDto(a);
  return Object.fromEntries(
    APPLICATION_RECORD_FIELDS.map((field) => [field, full[field]]),
  ) as unknown as ApplicationRecordDto;
}

function erased(): AppException {
  return new AppException(
    HttpStatus.CONFLICT,
    ErrorCode.MemberErased,
    "The member's personal data was already erased",
  );
}

/**
 * POPIA tools: the access-request data export, consent and objection, and erasure (anonymisation) after the
 * retention period. Every read is scoped through MembersService.findInScope (404 outside the caller's area).
 */
@Injectable()
export class PrivacyService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly members: MembersService,
    private readonly applications: ApplicationsService,
    private readonly leadership: LeadershipService,
    private readonly outbox: OutboxService,
    private readonly payments: PaymentsService,
    private readonly transferRequests: TransferRequestsService,
    private readonly receipts: PaymentReceiptsService,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  // --- data export (access request) ---

  async dataExport(actor: AuthUser, id: string): Promise<MemberDataExportDto> {
    const member = await this.members.findInScope(actor, id);
    await this.audit.record({
      action: 'member.data_exported',
      entityType: 'member',
      entityId: member.id,
      provinceCode: member.provinceCode,
      actorUserId: actor.id,
    });
    const [{ history, renewals, transfers }, applications, positions] = await Promise.all([
      this.members.recordsOf(id),
      this.applications.ofPerson(this.dataSource.manager, member, actor),
      this.leadership.memberPositions(actor, id),
    ]);
    const payments = await this.payments.recordsOf(
      id,
      applications.map((a) => a.id),
    );
    const transferRequests = await this.transferRequests.recordsOf(id);
    const receipts = await this.receipts.ofPayments(payments.map((p) => p.id));
    const accessLog = await this.accessLog(
      actor,
      member,
      applications.map((a) => a.id),
      positions.map((p) => p.id),
    );
    return {
      generatedAt: new Date(),
      member: recordDto(member),
      history: history.map((h) => toHistoryEntryDto(h)),
      renewals: renewals.map((r) => ({
        id: r.id,
        paidOn: r.paidOn,
        amountCents: r.amountCents,
        reference: r.reference,
        previousExpiresOn: r.previousExpiresOn,
        expiresOn: r.expiresOn,
        recordedBy: r.recordedBy,
        createdAt: r.createdAt,
      })),
      transfers: transfers.map((t) => ({
        id: t.id,
        fromWardCode: t.fromWardCode,
        toWardCode: t.toWardCode,
        reason: t.reason,
        transferredBy: t.transferredBy,
        transferredAt: t.transferredAt,
      })),
      positions,
      applications: applications.map(applicationDto),
      payments,
      transferRequests,
      receipts,
      accessLog,
    };
  }

  /**
   * Audit events about the member (the import batch that created it among them), its (in-scope) applications
   * and appointments, list pages that showed it, plus bulk exports over an area that contains the member
   * (national exports and exports of its province), newest first. Below national scope only events recorded in
   * the member's province (the caller's own province), and
   * national exports and list pages, appear: what happened to the record while it lived in another province,
   * and who did it, stays with that province's admins.
   */
  private async accessLog(
    actor: AuthUser,
    member: Member,
    applicationIds: string[],
    appointmentIds: string[],
  ): Promise<AccessLogEntryDto[]> {
    await this.audit.flushAccess();
    const national = isNational(actor.scope);
    const rows: AccessRow[] = await this.dataSource.query(
      `SELECT a.occurred_at, a.action, a.entity_type, a.entity_id, a.actor_user_id,
              u.name AS actor_name, u.email AS actor_email
         FROM audit_events a
         LEFT JOIN users u ON u.id = a.actor_user_id
        WHERE (((a.entity_type = 'member' AND a.entity_id = $1)
                OR (a.action = $9 AND a.entity_id IS NULL AND a.changes -> 'ids' ? $1::text)
                OR (a.entity_type = 'membership_application' AND a.entity_id = ANY($2::varchar[]))
                OR (a.entity_type = 'leadership_appointment' AND a.entity_id = ANY($3::varchar[])))
               AND ($8::boolean OR a.province_code = $5))
           OR ((a.action = $4
                OR (a.action = $6 AND a.entity_id IS NULL AND a.changes -> 'ids' ? $1::text)
                OR (a.action = $7 AND a.entity_id IS NULL
                    AND a.changes -> 'ids' ?| $2::varchar[]::text[]))
               AND ($8::boolean OR a.province_code IS NULL OR a.province_code = $5))
        ORDER BY a.occurred_at DESC
        LIMIT ${ACCESS_LOG_LIMIT}`,
      [
        member.id,
        applicationIds,
        appointmentIds,
        BULK_EXPORT_ACTION,
        member.provinceCode,
        LIST_ACCESS_ACTIONS.members,
        LIST_ACCESS_ACTIONS.applications,
        national,
        MEMBERS_IMPORTED_ACTION,
      ],
    );
    return rows.map((r) => ({
      occurredAt: r.occurred_at,
      action: r.action,
      entityType: r.entity_type,
      entityId: r.entity_id,
      actorUserId: r.actor_user_id,
      actorName: r.actor_name,
      actorEmail: r.actor_email,
      bulk: r.action === BULK_EXPORT_ACTION,
    }));
  }

  // --- consent and objection ---

  async recordConsent(
    actor: AuthUser,
    id: string,
    dto: RecordConsentDto,
  ): Promise<PrivacyStateDto> {
    return this.changeFlag(actor, id, 'consentGivenAt', dto.given, 'member.consent_changed', null);
  }

  async recordObjection(
    actor: AuthUser,
    id: string,
    dto: RecordObjectionDto,
  ): Promise<PrivacyStateDto> {
    return this.changeFlag(
      actor,
      id,
      'contactObjectedAt',
      dto.objects,
      'member.objection_changed',
      dto.reason ?? null,
    );
  }

  /** Sets (keeping an earlier time) or clears a POPIA timestamp, with history and audit, in one transaction. */
  private async changeFlag(
    actor: AuthUser,
    id: string,
    field: 'consentGivenAt' | 'contactObjectedAt',
    on: boolean,
    action: string,
    reason: string | null,
  ): Promise<PrivacyStateDto> {
    const { member, changed } = await this.dataSource.transaction(async (manager) => {
      const current = await this.members.findInScope(actor, id, { manager, lock: true });
      if (current.anonymisedAt) throw erased();
      const before = current[field];
      const after = on ? (before ?? new Date()) : null;
      if ((before === null) === (after === null)) return { member: current, changed: false };
      const fresh = await this.members.setPrivacyTimestamp(manager, current, field, after, {
        action,
        reason,
        actorId: actor.id,
      });
      return { member: fresh, changed: true };
    });
    if (changed) this.members.publish(DomainEventType.MemberUpdated, member);
    return stateDto(member);
  }

  // --- erasure ---

  /**
   * Anonymises a Cancelled or Deceased member once MEMBER_RETENTION_DAYS have passed since that status was
   * set, in one transaction: the member row, its history and audit diffs, its applications (same ID number)
   * the notes of its leadership appointments, its payments' references and notes, and its outbox messages (recipient and text blanked). Status, gender, ward chain, dates and the birth year stay
   * so aggregate statistics do not change; appointments stay and show "Erased member".
   */
  async erase(actor: AuthUser, id: string): Promise<ErasureResultDto> {
    const result = await this.dataSource.transaction(async (manager) => {
      const member = await this.members.findInScope(actor, id, { manager, lock: true });
      if (member.anonymisedAt) throw erased();
      if (!ERASABLE.includes(member.status)) {
        throw new AppException(
          HttpStatus.CONFLICT,
          ErrorCode.MemberNotErasable,
          `A member who is ${member.status} cannot be erased; only cancelled or deceased members can`,
          undefined,
          { currentStatus: member.status },
        );
      }
      const since = await this.members.statusSince(manager, member);
      const erasableFrom = new Date(since.getTime() + this.config.MEMBER_RETENTION_DAYS * DAY_MS);
      if (Date.now() < erasableFrom.getTime()) {
        throw new AppException(
          HttpStatus.CONFLICT,
          ErrorCode.RetentionNotElapsed,
          `The member's data is kept for ${this.config.MEMBER_RETENTION_DAYS} days after they became ${member.status}; it may be erased from ${erasableFrom.toISOString()}`,
          undefined,
          { statusSince: since.toISOString(), erasableFrom: erasableFrom.toISOString() },
        );
      }
      const applications = await this.applications.ofPerson(manager, member);
      const { history } = await this.members.recordsOf(id, manager);
      const appointments = await this.leadership.appointmentsOf(manager, id);

      const values = new Set<string>();
      for (const m of [member, ...applications]) {
        for (const v of [m.idNumber, m.firstNames, m.surname, m.cellNumber, m.email]) {
          if (v) values.add(v);
        }
        if (m.residentialAddress) values.add(m.residentialAddress);
        values.add(`${m.firstNames} ${m.surname}`);
      }
      for (const h of history) personalValues(h.details, values);
      // payment references and notes are free text (a depositor's name): gone from the rows, history and diffs
      const payments = await paymentTextsOf(
        manager,
        id,
        applications.map((a) => a.id),
      );
      for (const p of payments) {
        values.add(p.reference);
        if (p.note) values.add(p.note);
      }
      const entityIds = [
        id,
        ...applications.map((a) => a.id),
        ...appointments.map((a) => a.id),
        ...payments.map((p) => p.id),
      ];
      // list pages that showed the member: their filters may hold its name or numbers (e.g. q)
      const audits = await this.audit.eventsAbout(manager, entityIds, {
        action: LIST_ACCESS_ACTIONS.members,
        memberId: id,
      });
      for (const e of audits) personalValues(e.changes, values);
      const scrub = new Scrubber(values);

      const idNumber = erasedIdNumber(id);
      const placeholders = (m: { dateOfBirth: string }) => ({
        idNumber,
        firstNames: ERASED_FIRST_NAMES,
        surname: ERASED_SURNAME,
        dateOfBirth: yearOnly(m.dateOfBirth),
      });
      await this.members.anonymise(manager, id, placeholders(member));
      await this.applications.erase(manager, applications, placeholders, scrub);
      await this.members.scrubHistory(manager, history, scrub);
      await this.audit.eraseChanges(manager, id, audits, scrub);
      await this.leadership.scrubNotes(manager, appointments, scrub);
      await this.transferRequests.eraseReasons(manager, id);
      await erasePaymentTexts(manager, payments, (text) => scrub.text(text));
      const messages = await this.outbox.eraseMemberMessages(manager, id);
      const receipts = await this.receipts.eraseInTransaction(
        manager,
        id,
        applications.map((a) => a.id),
      );
      await this.audit.record(
        {
          action: 'member.erased',
          entityType: 'member',
          entityId: id,
          provinceCode: member.provinceCode,
          changes: {
            status: member.status,
            statusSince: since.toISOString(),
            retentionDays: this.config.MEMBER_RETENTION_DAYS,
            applications: applications.length,
            messages,
            receipts: receipts.receipts,
          },
          actorUserId: actor.id,
        },
        manager,
      );
      return {
        member: await this.members.findInScope(actor, id, { manager }),
        applications: applications.length,
        receipts,
      };
    });
    // the receipt files go only now that their rows' deletion is committed
    await result.receipts.afterCommit();
    this.members.publish(DomainEventType.MemberUpdated, result.member);
    return {
      id: result.member.id,
      membershipNumber: result.member.membershipNumber,
      anonymisedAt: result.member.anonymisedAt ?? new Date(),
      applications: result.applications,
    };
  }
}
