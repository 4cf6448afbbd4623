import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { AreaChain, AuthUser, ScopedSql, withinScope } from '@app/auth';
import type { ScopedActor } from '@app/auth';
import {
  AppException,
  AuditService,
  decodeCreatedAtCursor,
  ErrorCode,
  invalidCursor,
  Page,
  toPage,
} from '@app/core';
import { GeographyService } from '@app/geography';
import {
  isUniqueViolation,
  Member,
  MemberLifecycleService,
  MembersService,
  MemberStatus,
  memberErased,
} from '@app/members';
import { UsersService } from '@app/users';
import {
  AdminTransferRequestDto,
  CreateTransferRequestDto,
  ListTransferRequestsQueryDto,
  TransferRequestDirection,
  TransferRequestDto,
} from './dto/transfer-request.dto.js';
import { MemberTransferRequest, TransferRequestStatus } from './transfer-request.entity.js';

/** What an erased member's transfer-request reasons become. */
export const ERASED_REASON = '(erased)';

/** A member who is Deceased or Cancelled (or erased) neither asks for nor receives a transfer. */
const CLOSED: readonly MemberStatus[] = [MemberStatus.Deceased, MemberStatus.Cancelled];

function toDto(r: MemberTransferRequest): TransferRequestDto {
  return {
    id: r.id,
    memberId: r.memberId,
    status: r.status,
    reason: r.reason,
    decisionReason: r.decisionReason,
    fromWardCode: r.fromWardCode,
    fromProvinceCode: r.fromProvinceCode,
    toWardCode: r.wardCode,
    toMunicipalityCode: r.municipalityCode,
    toDistrictCode: r.districtCode,
    toProvinceCode: r.provinceCode,
    decidedAt: r.decidedAt,
    createdAt: r.createdAt,
  };
}

const sourceOf = (r: MemberTransferRequest): AreaChain => ({
  provinceCode: r.fromProvinceCode,
  districtCode: r.fromDistrictCode,
  municipalityCode: r.fromMunicipalityCode,
  wardCode: r.fromWardCode,
});

function notPending(r: MemberTransferRequest, action: string): AppException {
  return new AppException(
    HttpStatus.CONFLICT,
    ErrorCode.InvalidStatusTransition,
    `A transfer request that is ${r.status} cannot be given the action ${action}`,
    undefined,
    { currentStatus: r.status, action },
  );
}

function closedMember(status: MemberStatus, action: string): AppException {
  return new AppException(
    HttpStatus.CONFLICT,
    ErrorCode.InvalidStatusTransition,
    `A member who is ${status} cannot be transferred`,
    undefined,
    { currentStatus: status, action },
  );
}

/**
 * Members' requests to move ward (portal) and their decision by the admins of the DESTINATION ward's area.
 * Approval runs the members' own transfer (MemberLifecycleService.transferApproved) in the decision's
 * transaction, with the request row locked so that of concurrent decisions exactly one wins.
 */
@Injectable()
export class TransferRequestsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly members: MembersService,
    private readonly lifecycle: MemberLifecycleService,
    private readonly geography: GeographyService,
    private readonly users: UsersService,
    private readonly audit: AuditService,
  ) {}

  // --- the member (own record only) ---

  async request(
    user: AuthUser,
    member: Member,
    dto: CreateTransferRequestDto,
  ): Promise<TransferRequestDto> {
    if (CLOSED.includes(member.status)) throw closedMember(member.status, 'request_transfer');
    const target = await this.geography.findWardChain(dto.toWardCode);
    if (!target)
      throw new AppException(
        HttpStatus.UNPROCESSABLE_ENTITY,
        ErrorCode.ValidationFailed,
        `There is no ward ${dto.toWardCode}`,
        [{ field: 'toWardCode', code: 'unknownWard', message: 'There is no such ward' }],
      );
    if (target.wardCode === member.wardCode)
      throw new AppException(
        HttpStatus.UNPROCESSABLE_ENTITY,
        ErrorCode.ValidationFailed,
        `You are already in ward ${member.wardCode}`,
        [{ field: 'toWardCode', code: 'sameWard', message: 'This is already your ward' }],
      );
    const saved = await this.dataSource
      .transaction(async (manager) => {
        const open = await manager.findOneBy(MemberTransferRequest, {
          memberId: member.id,
          status: TransferRequestStatus.Pending,
        });
        if (open) throw this.alreadyOpen(open.id);
        const row = await manager.save(
          manager.create(MemberTransferRequest, {
            memberId: member.id,
            status: TransferRequestStatus.Pending,
            reason: dto.reason,
            fromWardCode: member.wardCode,
            fromMunicipalityCode: member.municipalityCode,
            fromDistrictCode: member.districtCode,
            fromProvinceCode: member.provinceCode,
            ...target,
            requestedBy: user.id,
          }),
        );
        await this.audited(manager, row, 'member.transfer_requested', user.id, member.provinceCode);
        return row;
      })
      .catch(async (error: unknown) => {
        if (!isUniqueViolation(error)) throw error;
        // a concurrent request of the same member won the unique index
        const open = await this.dataSource.manager.findOneBy(MemberTransferRequest, {
          memberId: member.id,
          status: TransferRequestStatus.Pending,
        });
        throw this.alreadyOpen(open?.id ?? null);
      });
    return toDto(saved);
  }

  private alreadyOpen(requestId: string | null): AppException {
    return AppException.conflict(
      'You already have a pending transfer request: cancel it first to ask for another ward',
      { requestId },
    );
  }

  async mine(member: Member): Promise<TransferRequestDto[]> {
    const rows = await this.dataSource.manager.find(MemberTransferRequest, {
      where: { memberId: member.id },
      order: { createdAt: 'DESC', id: 'DESC' },
    });
    return rows.map(toDto);
  }

  /** The member withdraws their own pending request (another member's id answers 404). */
  async cancel(user: AuthUser, member: Member, id: string): Promise<TransferRequestDto> {
    const fresh = await this.dataSource.transaction(async (manager) => {
      const current = await this.locked(manager, id);
      if (!current || current.memberId !== member.id)
        throw AppException.notFound(`Transfer request ${id}`);
      if (current.status !== TransferRequestStatus.Pending) throw notPending(current, 'cancel');
      await manager.update(MemberTransferRequest, id, {
        status: TransferRequestStatus.Cancelled,
        decidedBy: user.id,
        decidedAt: new Date(),
      });
      const row = await manager.findOneByOrFail(MemberTransferRequest, { id });
      await this.audited(manager, row, 'member.transfer_cancelled', user.id, row.fromProvinceCode);
      return row;
    });
    return toDto(fresh);
  }

  // --- libs/privacy ---

  /** Every transfer request of a member, oldest first (the POPIA data export; the caller checked scope). */
  async recordsOf(memberId: string): Promise<TransferRequestDto[]> {
    const rows = await this.dataSource.manager.find(MemberTransferRequest, {
      where: { memberId },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
    return rows.map(toDto);
  }

  /** Erasure, in the caller's transaction: the free-text reasons may hold anything personal, so they go. */
  async eraseReasons(manager: EntityManager, memberId: string): Promise<void> {
    await manager.query(
      `UPDATE member_transfer_requests
          SET reason = $2::varchar, decision_reason = CASE WHEN decision_reason IS NULL THEN NULL ELSE $2::varchar END
        WHERE member_id = $1`,
      [memberId, ERASED_REASON],
    );
  }

  // --- administrators ---

  /**
   * Requests whose destination (incoming) or source (outgoing) ward lies in the caller's area, newest first,
   * keyset-paginated on (created_at, id).
   */
  async list(
    actor: AuthUser,
    query: ListTransferRequestsQueryDto,
  ): Promise<Page<AdminTransferRequestDto>> {
    const sql = new ScopedSql();
    // the source chain goes under the usual column names (alias src), so the shared scope predicate applies
    const incoming = (): string => sql.scope(actor.scope, 'r');
    const outgoing = (): string => sql.scope(actor.scope, 'src');
    const where = [
      query.direction === TransferRequestDirection.Incoming
        ? incoming()
        : query.direction === TransferRequestDirection.Outgoing
          ? outgoing()
          : `(${incoming()} OR ${outgoing()})`,
    ];
    if (query.status) where.push(`r.status = ${sql.param(query.status)}`);
    if (query.cursor) {
      const after = decodeCreatedAtCursor(query.cursor);
      if (!after) throw invalidCursor();
      where.push(
        `(r.created_at, r.id) < (CAST(${sql.param(after.at)} AS timestamp) AT TIME ZONE 'UTC', ${sql.param(after.id)}::uuid)`,
      );
    }
    const rows = await this.dataSource.query<{ id: string; cursor_at: string }[]>(
      `SELECT r.id, to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS cursor_at
         FROM member_transfer_requests r
         CROSS JOIN LATERAL (SELECT r.from_province_code AS province_code,
                                    r.from_district_code AS district_code,
                                    r.from_municipality_code AS municipality_code,
                                    r.from_ward_code AS ward_code) src
        WHERE ${where.join(' AND ')}
        ORDER BY r.created_at DESC, r.id DESC
        LIMIT ${sql.param(query.limit + 1)}`,
      sql.values,
    );
    const page = toPage(rows, query.limit, (r) => [r.cursor_at, r.id]);
    const ids = page.data.map((r) => r.id);
    const loaded = await this.dataSource.manager.findBy(MemberTransferRequest, { id: In(ids) });
    const byId = new Map(loaded.map((r) => [r.id, r]));
    const ordered = ids
      .map((id) => byId.get(id))
      .filter((r): r is MemberTransferRequest => r !== undefined);
    return { data: await this.forAdmin(actor, ordered), nextCursor: page.nextCursor };
  }

  /** One request, when its destination or source lies in the caller's area; otherwise 404. */
  async get(actor: AuthUser, id: string): Promise<AdminTransferRequestDto> {
    const row = await this.dataSource.manager.findOneBy(MemberTransferRequest, { id });
    if (!row || !this.visible(actor, row)) throw AppException.notFound(`Transfer request ${id}`);
    const [dto] = await this.forAdmin(actor, [row]);
    return dto as AdminTransferRequestDto;
  }

  async approve(
    actor: AuthUser,
    id: string,
    reason: string | null,
  ): Promise<AdminTransferRequestDto> {
    const result = await this.dataSource.transaction(async (manager) => {
      const current = await this.lockForDecision(actor, id, manager, 'approve');
      const member = await manager.findOne(Member, {
        where: { id: current.memberId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!member) throw AppException.notFound(`Member ${current.memberId}`);
      if (member.anonymisedAt) throw memberErased();
      if (CLOSED.includes(member.status)) throw closedMember(member.status, 'approve');
      if (member.wardCode !== current.fromWardCode)
        throw AppException.conflict(
          'The member changed ward since asking: reject this request and let them ask again',
          { currentStatus: current.status },
        );
      const moved = await this.lifecycle.transferApproved(
        manager,
        member.id,
        current.wardCode,
        actor.id,
        reason ?? current.reason,
      );
      await this.users.moveMemberAccount(manager, member.id, {
        wardCode: current.wardCode,
        municipalityCode: current.municipalityCode,
        districtCode: current.districtCode,
        provinceCode: current.provinceCode,
      });
      await manager.update(MemberTransferRequest, id, {
        status: TransferRequestStatus.Approved,
        decisionReason: reason,
        decidedBy: actor.id,
        decidedAt: new Date(),
      });
      const row = await manager.findOneByOrFail(MemberTransferRequest, { id });
      await this.audited(manager, row, 'member.transfer_approved', actor.id, row.provinceCode);
      return { row, moved };
    });
    this.lifecycle.publishTransferred(result.moved.member, result.moved.previous);
    const [dto] = await this.forAdmin(actor, [result.row]);
    return dto as AdminTransferRequestDto;
  }

  async reject(actor: AuthUser, id: string, reason: string): Promise<AdminTransferRequestDto> {
    const row = await this.dataSource.transaction(async (manager) => {
      await this.lockForDecision(actor, id, manager, 'reject');
      await manager.update(MemberTransferRequest, id, {
        status: TransferRequestStatus.Rejected,
        decisionReason: reason,
        decidedBy: actor.id,
        decidedAt: new Date(),
      });
      const fresh = await manager.findOneByOrFail(MemberTransferRequest, { id });
      await this.audited(manager, fresh, 'member.transfer_rejected', actor.id, fresh.provinceCode);
      return fresh;
    });
    const [dto] = await this.forAdmin(actor, [row]);
    return dto as AdminTransferRequestDto;
  }

  // --- shared ---

  private locked(manager: EntityManager, id: string): Promise<MemberTransferRequest | null> {
    return manager.findOne(MemberTransferRequest, {
      where: { id },
      lock: { mode: 'pessimistic_write' },
    });
  }

  private canDecide(actor: ScopedActor, r: MemberTransferRequest): boolean {
    return withinScope(actor, r);
  }

  private visible(actor: ScopedActor, r: MemberTransferRequest): boolean {
    return withinScope(actor, r) || withinScope(actor, sourceOf(r));
  }

  /**
   * Locks the request (FOR UPDATE: of concurrent decisions one wins, the others find it decided: 409). Outside
   * both areas: 404; visible only as the source area: 403 (the destination's admins decide).
   */
  private async lockForDecision(
    actor: AuthUser,
    id: string,
    manager: EntityManager,
    action: 'approve' | 'reject',
  ): Promise<MemberTransferRequest> {
    const current = await this.locked(manager, id);
    if (!current || !this.visible(actor, current))
      throw AppException.notFound(`Transfer request ${id}`);
    if (!this.canDecide(actor, current))
      throw AppException.forbidden(
        "Only administrators of the destination ward's area decide a transfer request",
      );
    if (current.status !== TransferRequestStatus.Pending) throw notPending(current, action);
    return current;
  }

  private async forAdmin(
    actor: ScopedActor,
    rows: MemberTransferRequest[],
  ): Promise<AdminTransferRequestDto[]> {
    const summaries = await this.members.summariesOf(rows.map((r) => r.memberId));
    const byId = new Map(summaries.map((m) => [m.id, m]));
    return rows.map((r) => {
      // members are never deleted (erasure anonymises), so every request has its member
      const m = byId.get(r.memberId);
      if (!m) throw new Error(`Transfer request ${r.id} has no member ${r.memberId}`);
      return {
        ...toDto(r),
        member: {
          id: m.id,
          membershipNumber: m.membershipNumber,
          firstNames: m.firstNames,
          surname: m.surname,
          status: m.status,
        },
        decidedBy: r.decidedBy,
        canDecide: r.status === TransferRequestStatus.Pending && this.canDecide(actor, r),
      };
    });
  }

  private audited(
    manager: EntityManager,
    r: MemberTransferRequest,
    action: string,
    actorUserId: string,
    provinceCode: string,
  ): Promise<void> {
    return this.audit.record(
      {
        action,
        entityType: 'member',
        entityId: r.memberId,
        provinceCode,
        actorUserId,
        changes: {
          requestId: r.id,
          status: r.status,
          fromWardCode: r.fromWardCode,
          toWardCode: r.wardCode,
          ...(r.decisionReason ? { decisionReason: r.decisionReason } : {}),
        },
      },
      manager,
    );
  }
}
