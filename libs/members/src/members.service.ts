import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import {
  AccessResource,
  AccessService,
  AuthUser,
  requireWithinScope,
  ScopedActor,
} from '@app/auth';
import {
  APP_CONFIG,
  AppException,
  AuditService,
  decodeCursor,
  DomainEventBus,
  DomainEventType,
  invalidCursor,
  Page,
  PersonalDataScrub,
  ReadConnection,
  toPage,
  todayInSouthAfrica,
} from '@app/core';
import type { AppConfig } from '@app/core';
import { GeographyService, WardChain } from '@app/geography';
import { CreateMemberDto } from './dto/create-member.dto.js';
import {
  ListMembersQueryDto,
  MemberDto,
  MemberHistoryEntryDto,
  MemberHistoryQueryDto,
  UpdateMemberDto,
} from './dto/member.dto.js';
import type { MemberView } from './dto/minimised.dto.js';
import { MemberHistory, MemberHistoryKind } from './entities/member-history.entity.js';
import { MemberRenewal } from './entities/member-renewal.entity.js';
import { MemberTransfer } from './entities/member-transfer.entity.js';
import { Member } from './entities/member.entity.js';
import { RegistrationConflictSource } from './entities/registration-conflict.entity.js';
import { normaliseCellNumber } from './identity.js';
import { recordListAccess } from './list-access.js';
import {
  duplicateIdNumber,
  ID_NUMBER_INDEX,
  invalidNewMember,
  isDuplicateIdNumber,
  isUniqueViolation,
  memberErased,
  versionConflict,
} from './member-errors.js';
import { memberEvent, MemberEventDetails, MemberEventType } from './member-events.js';
import {
  auditable,
  maskedDiff,
  MemberSummary,
  toHistoryEntryDto,
  toMemberDto,
} from './member-mapper.js';
import { memberGetQuery, memberListQuery } from './member-queries.js';
import { membershipPolicy } from './membership-dates.js';
import { isMinimised, minimised, minimisedDetails } from './minimisation.js';
import { newMember } from './new-member.js';
import { RegistrationConflictsService } from './registration-conflicts/registration-conflicts.service.js';

// Kept where other code imports them from (libs/members/src/imports, bench).
export { MASKED_MEMBER_FIELDS } from './member-mapper.js';

const SUMMARY = {
  id: true,
  membershipNumber: true,
  firstNames: true,
  surname: true,
  status: true,
  wardCode: true,
  municipalityCode: true,
  districtCode: true,
  provinceCode: true,
} as const;

export interface Actor {
  id: string | null;
}

/**
 * Members: create, read and change them inside the caller's area. Every query carries the caller's scope;
 * writes happen in one transaction with their audit event and history, and events go out after commit.
 */
@Injectable()
export class MembersService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly geography: GeographyService,
    private readonly audit: AuditService,
    private readonly events: DomainEventBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly conflicts: RegistrationConflictsService,
    private readonly access: AccessService,
    private readonly reads: ReadConnection,
  ) {}

  // --- reused by other modules ---

  /**
   * The member if it lies inside `scope`, else 404 (whether or not it exists). Pass a manager and
   * `lock: true` inside a transaction to lock the row (SELECT … FOR UPDATE).
   */
  async findInScope(
    actor: ScopedActor,
    id: string,
    options: { manager?: EntityManager; lock?: boolean } = {},
  ): Promise<Member> {
    const manager = options.manager ?? this.dataSource.manager;
    await this.access.require(actor, AccessResource.Member, 'read', [id], options);
    return manager.findOneByOrFail(Member, { id });
  }

  /** A member's name, number, status and area (never the ID number or contacts), if inside the actor's scope. */
  async summaryInScope(actor: ScopedActor, id: string): Promise<MemberSummary> {
    await this.access.require(actor, AccessResource.Member, 'read', [id]);
    return this.dataSource.manager.findOneOrFail(Member, { select: SUMMARY, where: { id } });
  }

  /** The summaries of these members, unscoped (e.g. the holders of appointments the caller may see). */
  async summariesOf(
    ids: readonly string[],
    manager: EntityManager = this.dataSource.manager,
  ): Promise<MemberSummary[]> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return [];
    return manager.find(Member, { select: SUMMARY, where: { id: In(unique) } });
  }

  /** The summary of the member with this ID number, wherever they are: the caller decides what to reveal. */
  summaryByIdNumber(idNumber: string): Promise<MemberSummary | null> {
    return this.dataSource.manager.findOne(Member, { select: SUMMARY, where: { idNumber } });
  }

  /** The ward's chain, or a 400 naming `field` when there is no such ward. */
  async wardChain(wardCode: string, field = 'wardCode'): Promise<WardChain> {
    const chain = await this.geography.findWardChain(wardCode);
    if (!chain) throw AppException.badRequest(`There is no ward ${wardCode}`, field, 'unknownWard');
    return chain;
  }

  /**
   * Creates a member inside the caller's transaction: derives date of birth, gender and citizenship from the
   * ID number, normalises the cell number, denormalises the ward's chain, sets the membership dates and
   * status, and records history and audit. The database assigns the membership number. The caller checks
   * scope and publishes member.created after commit. A second member with the same ID number throws
   * duplicateIdNumber() (the unique index decides under concurrency); callers facing a user turn it into
   * RegistrationConflictsService.refusal(), which says nothing about members outside the user's area.
   */
  async createInTransaction(
    manager: EntityManager,
    dto: CreateMemberDto,
    actor: Actor,
    chain?: WardChain,
    /** Recorded with the creation in the member's history, e.g. { applicationId } or { importId }. */
    origin: Record<string, string> = {},
  ): Promise<Member> {
    const ward = chain ?? (await this.wardChain(dto.wardCode));
    const checked = newMember(dto, ward, todayInSouthAfrica(), membershipPolicy(this.config));
    if ('errors' in checked) throw invalidNewMember(checked.errors);
    const { consentGiven, ...values } = checked.member;

    if (await manager.existsBy(Member, { idNumber: dto.idNumber })) throw duplicateIdNumber();
    let id: string;
    try {
      const result = await manager
        .createQueryBuilder()
        .insert()
        .into(Member)
        .values({
          ...values,
          consentGivenAt: consentGiven ? new Date() : null,
          createdBy: actor.id,
        })
        .returning(['id'])
        .execute();
      const row = result.raw as { id: string }[];
      id = row[0]?.id ?? '';
    } catch (error) {
      if (isUniqueViolation(error, ID_NUMBER_INDEX)) throw duplicateIdNumber();
      throw error;
    }
    const member = await manager.findOneByOrFail(Member, { id });
    await manager.insert(MemberHistory, {
      memberId: member.id,
      kind: MemberHistoryKind.Created,
      fromStatus: null,
      toStatus: member.status,
      details: { membershipNumber: member.membershipNumber, wardCode: member.wardCode, ...origin },
      actorUserId: actor.id,
    });
    await this.audit.record(
      {
        action: 'member.created',
        entityType: 'member',
        entityId: member.id,
        provinceCode: member.provinceCode,
        changes: maskedDiff({}, auditable(member)),
        ...(actor.id ? { actorUserId: actor.id } : {}),
      },
      manager,
    );
    return member;
  }

  // --- the records of a person (privacy: data export and erasure, in the caller's transaction) ---

  /** The member's history, renewals and transfers, oldest first. */
  async recordsOf(
    id: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<{ history: MemberHistory[]; renewals: MemberRenewal[]; transfers: MemberTransfer[] }> {
    const [history, renewals, transfers] = await Promise.all([
      manager.find(MemberHistory, { where: { memberId: id }, order: { id: 'ASC' } }),
      manager.find(MemberRenewal, { where: { memberId: id }, order: { createdAt: 'ASC' } }),
      manager.find(MemberTransfer, { where: { memberId: id }, order: { transferredAt: 'ASC' } }),
    ]);
    return { history, renewals, transfers };
  }

  /** When the member got their current status: the latest history entry that set it, else the last update. */
  async statusSince(manager: EntityManager, member: Member): Promise<Date> {
    const rows: { since: Date | null }[] = await manager.query(
      `SELECT max(created_at) AS since FROM member_history
        WHERE member_id = $1 AND to_status = $2 AND kind = $3`,
      [member.id, member.status, MemberHistoryKind.StatusChanged],
    );
    return rows[0]?.since ?? member.updatedAt;
  }

  /** Sets or clears a POPIA timestamp of `member`, with its history entry and audit event; the fresh member. */
  async setPrivacyTimestamp(
    manager: EntityManager,
    member: Member,
    field: 'consentGivenAt' | 'contactObjectedAt',
    value: Date | null,
    record: { action: string; reason: string | null; actorId: string | null },
  ): Promise<Member> {
    const id = member.id;
    await manager
      .createQueryBuilder()
      .update(Member)
      .set({ [field]: value })
      .where('id = :id', { id })
      .execute();
    const before = member[field];
    const change = {
      [field]: { from: before?.toISOString() ?? null, to: value?.toISOString() ?? null },
    };
    await manager.insert(MemberHistory, {
      memberId: id,
      kind: MemberHistoryKind.Updated,
      reason: record.reason,
      details: { changes: change },
      actorUserId: record.actorId,
    });
    await this.audit.record(
      {
        action: record.action,
        entityType: 'member',
        entityId: id,
        provinceCode: member.provinceCode,
        changes: record.reason ? { ...change, reason: record.reason } : change,
      },
      manager,
    );
    return manager.findOneByOrFail(Member, { id });
  }

  /**
   * Replaces the member's ID number, names and date of birth with `placeholders`, clears the contacts and marks
   * the member anonymised. Status, gender, ward chain and dates stay (statistics do not change).
   */
  async anonymise(
    manager: EntityManager,
    id: string,
    placeholders: Pick<Member, 'idNumber' | 'firstNames' | 'surname' | 'dateOfBirth'>,
  ): Promise<void> {
    await manager
      .createQueryBuilder()
      .update(Member)
      .set({
        ...placeholders,
        cellNumber: null,
        email: null,
        residentialAddress: null,
        anonymisedAt: new Date(),
      })
      .where('id = :id', { id })
      .execute();
  }

  /** Rewrites the details and reasons of history rows through `scrub` (erasure). */
  async scrubHistory(
    manager: EntityManager,
    history: MemberHistory[],
    scrub: PersonalDataScrub,
  ): Promise<void> {
    for (const h of history) {
      const details = scrub.json(h.details);
      const reason = scrub.nullableText(h.reason);
      if (JSON.stringify(details) !== JSON.stringify(h.details) || reason !== h.reason)
        // jsonb written as text: TypeORM's update() types cannot express a jsonb object
        await manager.query('UPDATE member_history SET details = $2, reason = $3 WHERE id = $1', [
          h.id,
          details === null ? null : JSON.stringify(details),
          reason,
        ]);
    }
  }

  /** Publishes a member event (after commit): no ID numbers, cell numbers or addresses. */
  publish(type: MemberEventType, m: Member, details: MemberEventDetails = {}): void {
    this.events.publish(memberEvent(type, m, details));
  }

  // --- routes ---

  async create(actor: AuthUser, dto: CreateMemberDto): Promise<MemberDto> {
    const chain = await this.wardChain(dto.wardCode);
    requireWithinScope(actor, chain, 'The ward is outside your area');
    await this.conflicts.assertUnderLimit(actor);
    let member: Member;
    try {
      member = await this.dataSource.transaction((manager) =>
        this.createInTransaction(manager, dto, { id: actor.id }, chain),
      );
    } catch (error) {
      if (isDuplicateIdNumber(error)) {
        throw await this.conflicts.refusal(actor, dto.idNumber, chain, {
          source: RegistrationConflictSource.MemberCreate,
        });
      }
      throw error;
    }
    this.publish(DomainEventType.MemberCreated, member);
    return toMemberDto(member);
  }

  /**
   * One member; the read is recorded in audit_events as member.viewed (POPIA access logging). Minimised roles
   * (auditors) get MinimisedMemberDto.
   */
  async get(actor: AuthUser, id: string): Promise<MemberView> {
    const { text, values } = memberGetQuery(actor.scope, id);
    const [member] = await this.reads.query<MemberDto>(text, values, { prepared: true });
    if (!member) throw AppException.notFound(`Member ${id}`);
    this.audit.recordAccess({
      action: 'member.viewed',
      entityType: 'member',
      entityId: member.id,
      provinceCode: member.provinceCode,
      actorUserId: actor.id,
    });
    return isMinimised(actor) ? minimised(member) : member;
  }

  /**
   * One page of the caller's members. The SQL is written out (see memberListQuery) and rows come back already
   * shaped as MemberDto: no entity hydration on the hot path. Each page is recorded as members.listed
   * (recordListAccess); minimised roles (auditors) get MinimisedMemberDto rows.
   */
  async list(actor: AuthUser, query: ListMembersQueryDto): Promise<Page<MemberView>> {
    const { text, values, bySurname } = memberListQuery(actor.scope, query);
    const rows = await this.reads.query<MemberDto>(text, values);
    const page = toPage(rows, query.limit, (m) => [bySurname ? m.surname : m.joinedOn, m.id]);
    recordListAccess(this.audit, actor, 'members', query, page.data);
    if (!isMinimised(actor)) return page;
    return { data: page.data.map((m) => minimised(m)), nextCursor: page.nextCursor };
  }

  async update(actor: AuthUser, id: string, dto: UpdateMemberDto): Promise<MemberDto> {
    return this.applyUpdate(
      (manager) => this.findInScope(actor, id, { manager, lock: true }),
      id,
      dto,
      { id: actor.id },
    );
  }

  /**
   * The member's own update of their contact details (portal: the caller is the member `id`, so no scope
   * applies): the same validation, optimistic locking, history, audit and member.updated event as update().
   */
  async updateOwnContact(
    actor: Actor,
    id: string,
    dto: Pick<UpdateMemberDto, 'version' | 'cellNumber' | 'email' | 'residentialAddress'>,
  ): Promise<MemberDto> {
    const contact: UpdateMemberDto = { version: dto.version };
    if (dto.cellNumber !== undefined) contact.cellNumber = dto.cellNumber;
    if (dto.email !== undefined) contact.email = dto.email;
    if (dto.residentialAddress !== undefined) contact.residentialAddress = dto.residentialAddress;
    return this.applyUpdate(
      async (manager) => {
        const found = await manager.findOne(Member, {
          where: { id },
          lock: { mode: 'pessimistic_write' },
        });
        if (!found) throw AppException.notFound(`Member ${id}`);
        return found;
      },
      id,
      contact,
      actor,
    );
  }

  /** The member by id, wherever it is (no scope): for a caller who IS this member (portal) or a signed card. */
  findUnscoped(
    id: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<Member | null> {
    return manager.findOneBy(Member, { id });
  }

  /**
   * The member with exactly this ID number and membership number, or null (the claim flow: the caller must not
   * reveal which, if either, exists).
   */
  findByIdAndMembershipNumber(idNumber: string, membershipNumber: string): Promise<Member | null> {
    return this.dataSource.manager.findOneBy(Member, { idNumber, membershipNumber });
  }

  private async applyUpdate(
    load: (manager: EntityManager) => Promise<Member>,
    id: string,
    dto: UpdateMemberDto,
    actor: Actor,
  ): Promise<MemberDto> {
    const { member, changed } = await this.dataSource.transaction(async (manager) => {
      const current = await load(manager);
      if (current.anonymisedAt) throw memberErased();
      if (current.version !== dto.version) throw versionConflict();
      const next: Partial<Member> = {};
      if (dto.firstNames !== undefined) next.firstNames = dto.firstNames;
      if (dto.surname !== undefined) next.surname = dto.surname;
      if (dto.email !== undefined) next.email = dto.email;
      if (dto.residentialAddress !== undefined) next.residentialAddress = dto.residentialAddress;
      if (dto.cellNumber !== undefined) {
        next.cellNumber = dto.cellNumber === null ? null : normaliseCellNumber(dto.cellNumber);
      }
      const before = auditable(current);
      const changes = maskedDiff(before, { ...before, ...next });
      if (Object.keys(changes).length === 0) return { member: current, changed: [] as string[] };
      const result = await manager
        .createQueryBuilder()
        .update(Member)
        .set(next)
        .where('id = :id AND version = :version', { id, version: dto.version })
        .execute();
      if (result.affected !== 1) throw versionConflict();
      const fresh = await manager.findOneByOrFail(Member, { id });
      await manager.insert(MemberHistory, {
        memberId: id,
        kind: MemberHistoryKind.Updated,
        details: { changes },
        actorUserId: actor.id,
      });
      await this.audit.record(
        {
          action: 'member.updated',
          entityType: 'member',
          entityId: id,
          provinceCode: fresh.provinceCode,
          changes,
        },
        manager,
      );
      return { member: fresh, changed: Object.keys(changes) };
    });
    if (changed.length > 0)
      this.publish(DomainEventType.MemberUpdated, member, { changedFields: changed });
    return toMemberDto(member);
  }

  async history(
    actor: AuthUser,
    id: string,
    query: MemberHistoryQueryDto,
  ): Promise<Page<MemberHistoryEntryDto>> {
    await this.findInScope(actor, id);
    const descending = query.order === 'desc';
    const qb = this.dataSource.manager
      .createQueryBuilder(MemberHistory, 'h')
      .where('h.member_id = :id', { id });
    if (query.cursor) {
      const [after] = decodeCursor(query.cursor, 1);
      if (typeof after !== 'string' || !/^\d{1,18}$/.test(after)) throw invalidCursor();
      qb.andWhere(`h.id ${descending ? '<' : '>'} :after`, { after });
    }
    const rows = await qb
      .orderBy('h.id', descending ? 'DESC' : 'ASC')
      .limit(query.limit + 1)
      .getMany();
    const minimise = isMinimised(actor);
    return toPage(
      rows.map((h) => toHistoryEntryDto(h, minimise ? minimisedDetails(h.details) : h.details)),
      query.limit,
      (h) => [h.id],
    );
  }
}
