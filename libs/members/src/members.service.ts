import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import pg from 'pg';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import {
  AccessResource,
  AccessService,
  AuthUser,
  requireWithinScope,
  Scope,
  ScopedActor,
  ScopedSql,
} from '@app/auth';
import {
  APP_CONFIG,
  AppException,
  AuditService,
  decodeCursor,
  diff,
  DomainEventBus,
  DomainEventType,
  ErrorCode,
  EventArea,
  FieldError,
  invalidCursor,
  Page,
  PersonalDataScrub,
  toPage,
  todayInSouthAfrica,
  UUID_PATTERN,
} from '@app/core';
import type { AppConfig } from '@app/core';
import { GeographyService, WardChain } from '@app/geography';
import { CreateMemberDto } from './dto/create-member.dto.js';
import {
  ChangeMemberStatusDto,
  ListMembersQueryDto,
  MemberDto,
  MemberHistoryEntryDto,
  MemberHistoryQueryDto,
  MemberSort,
  MemberStatusAction,
  RenewMembershipDto,
  TransferMemberDto,
  UpdateMemberDto,
} from './dto/member.dto.js';
import { MemberHistory, MemberHistoryKind } from './entities/member-history.entity.js';
import { MemberRenewal } from './entities/member-renewal.entity.js';
import { MemberTransfer } from './entities/member-transfer.entity.js';
import { Member, MemberStatus } from './entities/member.entity.js';
import { normaliseCellNumber } from './identity.js';
import { isNameSearch, memberFilterConditions } from './member-filter-sql.js';
import { memberEvent, MemberEventDetails, MemberEventType } from './member-events.js';
import type { MemberView } from './dto/minimised.dto.js';
import { recordListAccess } from './list-access.js';
import { isMinimised, minimised, minimisedDetails } from './minimisation.js';
import { addMonths, membershipPolicy, statusForExpiry } from './membership-dates.js';
import { newMember } from './new-member.js';
import { RegistrationConflictSource } from './entities/registration-conflict.entity.js';
import { RegistrationConflictsService } from './registration-conflicts/registration-conflicts.service.js';

/** Personal data never written in clear into audit diffs or history. */
export const MASKED_MEMBER_FIELDS = ['idNumber', 'cellNumber', 'residentialAddress'] as const;
const AUDITED = [
  'idNumber',
  'firstNames',
  'surname',
  'cellNumber',
  'email',
  'residentialAddress',
  'wardCode',
  'status',
  'joinedOn',
  'lastPaidOn',
  'expiresOn',
] as const;
/** The unique index on members.id_number (migration Members1795561454521). */
const ID_NUMBER_INDEX = 'IDX_5162bc470302e83f7c8516012f';
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Which statuses each admin action may start from. */
const ALLOWED_FROM: Record<MemberStatusAction, readonly MemberStatus[]> = {
  [MemberStatusAction.Suspend]: [
    MemberStatus.Active,
    MemberStatus.GracePeriod,
    MemberStatus.Expired,
  ],
  [MemberStatusAction.Cancel]: [
    MemberStatus.Active,
    MemberStatus.GracePeriod,
    MemberStatus.Expired,
    MemberStatus.Suspended,
  ],
  [MemberStatusAction.Reinstate]: [MemberStatus.Suspended, MemberStatus.Cancelled],
  [MemberStatusAction.Deceased]: [
    MemberStatus.Pending,
    MemberStatus.Active,
    MemberStatus.GracePeriod,
    MemberStatus.Expired,
    MemberStatus.Suspended,
    MemberStatus.Cancelled,
  ],
};

/** Statuses the membership dates drive; the others are set by an admin. */
const DATE_DRIVEN: readonly MemberStatus[] = [
  MemberStatus.Active,
  MemberStatus.GracePeriod,
  MemberStatus.Expired,
];

/** What other modules may read of a member: name, number, status and area. */
export type MemberSummary = Pick<
  Member,
  | 'id'
  | 'membershipNumber'
  | 'firstNames'
  | 'surname'
  | 'status'
  | 'wardCode'
  | 'municipalityCode'
  | 'districtCode'
  | 'provinceCode'
>;

export interface Actor {
  id: string | null;
}

export function toMemberDto(m: Member): MemberDto {
  return {
    id: m.id,
    membershipNumber: m.membershipNumber,
    idNumber: m.idNumber,
    firstNames: m.firstNames,
    surname: m.surname,
    dateOfBirth: m.dateOfBirth,
    gender: m.gender,
    citizenship: m.citizenship,
    cellNumber: m.cellNumber,
    email: m.email,
    residentialAddress: m.residentialAddress,
    wardCode: m.wardCode,
    municipalityCode: m.municipalityCode,
    districtCode: m.districtCode,
    provinceCode: m.provinceCode,
    status: m.status,
    joinedOn: m.joinedOn,
    lastPaidOn: m.lastPaidOn,
    expiresOn: m.expiresOn,
    consentGivenAt: m.consentGivenAt,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
    version: m.version,
  };
}

export function memberArea(m: Pick<Member, keyof WardChain>): EventArea {
  return {
    provinceCode: m.provinceCode,
    districtCode: m.districtCode,
    municipalityCode: m.municipalityCode,
    wardCode: m.wardCode,
  };
}

function auditable(m: Member): Record<string, unknown> {
  return Object.fromEntries(AUDITED.map((key) => [key, m[key]]));
}

function maskedDiff(before: Record<string, unknown>, after: Record<string, unknown>) {
  return diff(before, after, MASKED_MEMBER_FIELDS);
}

function versionConflict(): AppException {
  return new AppException(
    HttpStatus.CONFLICT,
    ErrorCode.VersionConflict,
    'The member was changed since you read it; read it again and retry',
  );
}

/** An erased (anonymised) member keeps its placeholders: no edits, no status changes (e.g. reinstatement). */
function memberErased(): AppException {
  return new AppException(
    HttpStatus.CONFLICT,
    ErrorCode.MemberErased,
    "The member's personal data was erased; it cannot be changed",
  );
}

/** The field errors of newMember() as one VALIDATION_FAILED problem, like the validation pipe's. */
function invalidNewMember(errors: FieldError[]): AppException {
  return new AppException(
    HttpStatus.BAD_REQUEST,
    ErrorCode.ValidationFailed,
    errors.map((e) => e.message).join('; '),
    errors,
  );
}

/**
 * The columns of MemberDto, in its order and under its names, for queries whose rows are returned as they come
 * (list and get): no entity hydration. Dates come back as YYYY-MM-DD text whatever the session's DateStyle.
 */
export const MEMBER_DTO_COLUMNS = [
  'm.id',
  'm.membership_number AS "membershipNumber"',
  'm.id_number AS "idNumber"',
  'm.first_names AS "firstNames"',
  'm.surname',
  `to_char(m.date_of_birth, 'YYYY-MM-DD') AS "dateOfBirth"`,
  'm.gender',
  'm.citizenship',
  'm.cell_number AS "cellNumber"',
  'm.email',
  'm.residential_address AS "residentialAddress"',
  'm.ward_code AS "wardCode"',
  'm.municipality_code AS "municipalityCode"',
  'm.district_code AS "districtCode"',
  'm.province_code AS "provinceCode"',
  'm.status',
  `to_char(m.joined_on, 'YYYY-MM-DD') AS "joinedOn"`,
  `to_char(m.last_paid_on, 'YYYY-MM-DD') AS "lastPaidOn"`,
  `to_char(m.expires_on, 'YYYY-MM-DD') AS "expiresOn"`,
  'm.consent_given_at AS "consentGivenAt"',
  'm.created_at AS "createdAt"',
  'm.updated_at AS "updatedAt"',
  'm.version',
].join(', ');

/** The SQL of GET /members/:id: the member as MemberDto if it lies inside `scope`. */
export function memberGetQuery(scope: Scope, id: string): { text: string; values: unknown[] } {
  const sql = new ScopedSql();
  const text = `SELECT ${MEMBER_DTO_COLUMNS} FROM members m WHERE m.id = ${sql.param(id)} AND ${sql.scope(scope, 'm')}`;
  return { text, values: sql.values };
}

/**
 * The SQL of GET /members: the caller's scope and the filters (memberFilterConditions, which the export shares),
 * then the keyset cursor, ordered by the sort column and id, limit + 1 rows (the extra one says whether there is a
 * next page).
 *
 * A name search (q not an identifier) collects the trigram matches first, in a MATERIALIZED CTE carrying every
 * other predicate, and sorts only those: members_scope_name_trgm (GIN over province, district, municipality,
 * ward and the name's trigrams) finds the matches inside the scope without visiting other rows. Left to itself
 * the planner sometimes walks the (scope, surname, id) index instead, filtering tens of thousands of rows,
 * depending on its trigram statistics. Exact identifiers use their unique or plain btree indexes; plain lists use
 * the (scope column, sort column, id) indexes.
 *
 * bench/members.mjs runs this function's SQL (from dist/) as the database floor.
 */
export function memberListQuery(
  scope: Scope,
  query: ListMembersQueryDto,
): { text: string; values: unknown[]; bySurname: boolean } {
  const sql = new ScopedSql();
  const where = memberFilterConditions(sql, scope, query);
  const sort = query.sort ?? MemberSort.Surname;
  const bySurname = sort === MemberSort.Surname || sort === MemberSort.SurnameDesc;
  const dir = sort.startsWith('-') ? 'DESC' : 'ASC';
  const column = bySurname ? 'surname' : 'joined_on';
  if (query.cursor) {
    const [value, id] = decodeCursor(query.cursor, 2);
    if (
      typeof value !== 'string' ||
      typeof id !== 'string' ||
      !UUID_PATTERN.test(id) ||
      (!bySurname && !DATE.test(value))
    )
      throw invalidCursor();
    where.push(
      `(m.${column}, m.id) ${dir === 'DESC' ? '<' : '>'} (${sql.param(value)}, ${sql.param(id)})`,
    );
  }
  const limit = sql.param(query.limit + 1);
  const predicate = where.join(' AND ');
  if (isNameSearch(query)) {
    // The CTE's output names are MemberDto's; joinedOn is text in YYYY-MM-DD, which sorts as the date does.
    const sortKey = bySurname ? 'surname' : '"joinedOn"';
    return {
      text:
        `WITH hits AS MATERIALIZED (SELECT ${MEMBER_DTO_COLUMNS} FROM members m WHERE ${predicate}) ` +
        `SELECT * FROM hits ORDER BY ${sortKey} ${dir}, id ${dir} LIMIT ${limit}`,
      values: sql.values,
      bySurname,
    };
  }
  return {
    text: `SELECT ${MEMBER_DTO_COLUMNS} FROM members m WHERE ${predicate} ORDER BY m.${column} ${dir}, m.id ${dir} LIMIT ${limit}`,
    values: sql.values,
    bySurname,
  };
}

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driver = error.driverError as { code?: string; constraint?: string } | undefined;
  return driver?.code === '23505' && (constraint === undefined || driver.constraint === constraint);
}

export function duplicateIdNumber(): AppException {
  return new AppException(
    HttpStatus.CONFLICT,
    ErrorCode.DuplicateIdNumber,
    'A member with this ID number already exists',
  );
}

/** The refusal createInTransaction throws for an ID number that is already a member (anywhere). */
export function isDuplicateIdNumber(error: unknown): boolean {
  return error instanceof AppException && error.code === ErrorCode.DuplicateIdNumber;
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
    return this.dataSource.manager.findOneOrFail(Member, {
      select: {
        id: true,
        membershipNumber: true,
        firstNames: true,
        surname: true,
        status: true,
        wardCode: true,
        municipalityCode: true,
        districtCode: true,
        provinceCode: true,
      },
      where: { id },
    });
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
    const [member] = await this.rawMembers(text, values);
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
    const rows = await this.rawMembers(text, values);
    const page = toPage(rows, query.limit, (m) => [bySurname ? m.surname : m.joinedOn, m.id]);
    recordListAccess(this.audit, actor, 'members', query, page.data);
    if (!isMinimised(actor)) return page;
    return { data: page.data.map((m) => minimised(m)), nextCursor: page.nextCursor };
  }

  /**
   * Runs a members read straight on TypeORM's pg pool (no QueryRunner per query). A server-reported error becomes
   * a QueryFailedError as through TypeORM, so the problem-details mapping is the same; connection errors pass
   * as they are (503 either way).
   */
  private async rawMembers(text: string, values: unknown[]): Promise<MemberDto[]> {
    const pool = (this.dataSource.driver as unknown as { master: pg.Pool }).master;
    try {
      return (await pool.query<MemberDto>(text, values)).rows;
    } catch (error) {
      if (error instanceof pg.DatabaseError) throw new QueryFailedError(text, values, error);
      throw error;
    }
  }

  async update(actor: AuthUser, id: string, dto: UpdateMemberDto): Promise<MemberDto> {
    const { member, changed } = await this.dataSource.transaction(async (manager) => {
      const current = await this.findInScope(actor, id, { manager, lock: true });
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

  async changeStatus(actor: AuthUser, id: string, dto: ChangeMemberStatusDto): Promise<MemberDto> {
    const { member, from } = await this.dataSource.transaction(async (manager) => {
      const current = await this.findInScope(actor, id, { manager, lock: true });
      if (current.anonymisedAt) throw memberErased();
      if (!ALLOWED_FROM[dto.action].includes(current.status)) {
        throw new AppException(
          HttpStatus.CONFLICT,
          ErrorCode.InvalidStatusTransition,
          `A member who is ${current.status} cannot be given the action ${dto.action}`,
          undefined,
          { currentStatus: current.status, action: dto.action },
        );
      }
      const today = todayInSouthAfrica();
      const to: MemberStatus =
        dto.action === MemberStatusAction.Suspend
          ? MemberStatus.Suspended
          : dto.action === MemberStatusAction.Cancel
            ? MemberStatus.Cancelled
            : dto.action === MemberStatusAction.Deceased
              ? MemberStatus.Deceased
              : current.expiresOn
                ? statusForExpiry(current.expiresOn, today, this.config.GRACE_PERIOD_DAYS)
                : MemberStatus.Expired;
      const fresh = await this.setStatus(manager, current, to, dto.reason, actor.id, {
        action: dto.action,
      });
      return { member: fresh, from: current.status };
    });
    this.publish(DomainEventType.MemberStatusChanged, member, { previousStatus: from });
    return toMemberDto(member);
  }

  private async setStatus(
    manager: EntityManager,
    current: Member,
    to: MemberStatus,
    reason: string | null,
    actorId: string | null,
    details: Record<string, unknown>,
    extra: Partial<Member> = {},
    kind = MemberHistoryKind.StatusChanged,
  ): Promise<Member> {
    await manager
      .createQueryBuilder()
      .update(Member)
      .set({ status: to, ...extra })
      .where('id = :id', { id: current.id })
      .execute();
    const fresh = await manager.findOneByOrFail(Member, { id: current.id });
    await manager.save(
      manager.create(MemberHistory, {
        memberId: current.id,
        kind,
        fromStatus: current.status,
        toStatus: to,
        reason,
        details,
        actorUserId: actorId,
      }),
      { reload: false },
    );
    await this.audit.record(
      {
        action: kind === MemberHistoryKind.Renewed ? 'member.renewed' : 'member.status_changed',
        entityType: 'member',
        entityId: current.id,
        provinceCode: current.provinceCode,
        changes: {
          ...maskedDiff(auditable(current), auditable(fresh)),
          ...(reason ? { reason } : {}),
        },
      },
      manager,
    );
    return fresh;
  }

  async renew(actor: AuthUser, id: string, dto: RenewMembershipDto): Promise<MemberDto> {
    const today = todayInSouthAfrica();
    if (dto.paidOn > today)
      throw AppException.badRequest('paidOn may not be in the future', 'paidOn', 'future');
    const { member, from } = await this.dataSource.transaction(async (manager) => {
      const current = await this.findInScope(actor, id, { manager, lock: true });
      if (!DATE_DRIVEN.includes(current.status)) {
        throw new AppException(
          HttpStatus.CONFLICT,
          ErrorCode.InvalidStatusTransition,
          `A member who is ${current.status} cannot renew; reinstate them first`,
          undefined,
          { currentStatus: current.status, action: 'renew' },
        );
      }
      if (await manager.existsBy(MemberRenewal, { reference: dto.reference })) {
        throw AppException.conflict('A payment with this reference was already recorded');
      }
      const lastPaidOn =
        current.lastPaidOn && current.lastPaidOn > dto.paidOn ? current.lastPaidOn : dto.paidOn;
      const fromPayment = addMonths(dto.paidOn, this.config.MEMBERSHIP_PERIOD_MONTHS);
      const expiresOn =
        current.expiresOn && current.expiresOn > fromPayment ? current.expiresOn : fromPayment;
      const amountCents = dto.amountCents ?? this.config.MEMBERSHIP_FEE_CENTS;
      try {
        await manager.insert(MemberRenewal, {
          memberId: id,
          paidOn: dto.paidOn,
          amountCents,
          reference: dto.reference,
          previousExpiresOn: current.expiresOn,
          expiresOn,
          recordedBy: actor.id,
        });
      } catch (error) {
        if (isUniqueViolation(error))
          throw AppException.conflict('A payment with this reference was already recorded');
        throw error;
      }
      const to = statusForExpiry(expiresOn, today, this.config.GRACE_PERIOD_DAYS);
      const fresh = await this.setStatus(
        manager,
        current,
        to,
        null,
        actor.id,
        {
          paidOn: dto.paidOn,
          amountCents,
          reference: dto.reference,
          previousExpiresOn: current.expiresOn,
          expiresOn,
        },
        { lastPaidOn, expiresOn },
        MemberHistoryKind.Renewed,
      );
      return { member: fresh, from: current.status };
    });
    if (member.status !== from)
      this.publish(DomainEventType.MemberStatusChanged, member, { previousStatus: from });
    else
      this.publish(DomainEventType.MemberUpdated, member, {
        changedFields: ['lastPaidOn', 'expiresOn'],
      });
    return toMemberDto(member);
  }

  async transfer(actor: AuthUser, id: string, dto: TransferMemberDto): Promise<MemberDto> {
    const target = await this.wardChain(dto.toWardCode, 'toWardCode');
    const { member, previous } = await this.dataSource.transaction(async (manager) => {
      const current = await this.findInScope(actor, id, { manager, lock: true });
      requireWithinScope(actor, target, 'The destination ward is outside your area');
      if (current.wardCode === target.wardCode)
        throw AppException.conflict(`The member is already in ward ${target.wardCode}`);
      await manager
        .createQueryBuilder()
        .update(Member)
        .set({
          wardCode: target.wardCode,
          municipalityCode: target.municipalityCode,
          districtCode: target.districtCode,
          provinceCode: target.provinceCode,
        })
        .where('id = :id', { id })
        .execute();
      await manager.insert(MemberTransfer, {
        memberId: id,
        fromWardCode: current.wardCode,
        fromProvinceCode: current.provinceCode,
        toWardCode: target.wardCode,
        toProvinceCode: target.provinceCode,
        reason: dto.reason ?? null,
        transferredBy: actor.id,
      });
      await manager.insert(MemberHistory, {
        memberId: id,
        kind: MemberHistoryKind.Transferred,
        reason: dto.reason ?? null,
        details: { fromWardCode: current.wardCode, toWardCode: target.wardCode },
        actorUserId: actor.id,
      });
      const fresh = await manager.findOneByOrFail(Member, { id });
      await this.audit.record(
        {
          action: 'member.transferred',
          entityType: 'member',
          entityId: id,
          provinceCode: fresh.provinceCode,
          changes: maskedDiff(auditable(current), auditable(fresh)),
        },
        manager,
      );
      return { member: fresh, previous: memberArea(current) };
    });
    this.publish(DomainEventType.MemberTransferred, member, { previousArea: previous });
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
      rows.map((h) => ({
        id: h.id,
        kind: h.kind,
        fromStatus: h.fromStatus,
        toStatus: h.toStatus,
        reason: h.reason,
        details: minimise ? minimisedDetails(h.details) : h.details,
        actorUserId: h.actorUserId,
        createdAt: h.createdAt,
      })),
      query.limit,
      (h) => [h.id],
    );
  }
}
