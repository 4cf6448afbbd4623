import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Writable } from 'node:stream';
import { DataSource, EntityManager } from 'typeorm';
import {
  AccessResource,
  AccessService,
  AuthUser,
  coversScope,
  requireWithinScope,
  scoped,
  Scope,
  ScopeLevel,
} from '@app/auth';
import {
  AppException,
  AuditService,
  decodeCursor,
  DomainEventBus,
  domainEvent,
  DomainEventType,
  ErrorCode,
  Page,
  toPage,
} from '@app/core';
import { writeTable } from '@app/files';
import { GeographyLevel, GeographyService, WardChain } from '@app/geography';
import { MemberStandingService, MemberStatus } from '@app/members';
import type { MemberByNumber } from '@app/members';
import {
  AssemblyType,
  DEFAULT_DELEGATE_LIMITS,
  DELEGATE_LOCK_NAMESPACE,
  MeetingStatus,
  MeetingType,
} from './branches.enums.js';
import {
  DelegateDto,
  DelegateExportQueryDto,
  DelegateLimitDto,
  DelegateQueryDto,
  ReplaceDelegateDto,
  SelectDelegateDto,
  SetDelegateLimitDto,
} from './dto/branches.dto.js';
import { BranchDelegate } from './entities/branch-delegate.entity.js';
import { MeetingsService } from './meetings.service.js';

const WARD_RE = /^\d{8}$/;
const AREA_COLUMN = {
  province: 'province_code',
  district: 'district_code',
  municipality: 'municipality_code',
  ward: 'ward_code',
} as const;

function delegateDto(d: BranchDelegate, person: MemberByNumber | undefined): DelegateDto {
  return {
    id: d.id,
    assembly: d.assembly,
    memberId: d.memberId,
    membershipNumber: d.membershipNumber,
    firstNames: person?.firstNames ?? '',
    surname: person?.surname ?? '',
    meetingId: d.meetingId,
    wardCode: d.wardCode,
    municipalityCode: d.municipalityCode,
    districtCode: d.districtCode,
    provinceCode: d.provinceCode,
    active: d.active,
    replacesId: d.replacesId,
    replacedById: d.replacedById,
    replacementReason: d.replacementReason,
    selectedAt: d.selectedAt.toISOString(),
  };
}

/**
 * Assembly delegates: per ward and assembly, members of the ward in good standing selected at a verified,
 * quorate BGA of that ward. The per-ward limit (the most specific delegate_limits row above the ward, else
 * DEFAULT_DELEGATE_LIMITS) is enforced under a transaction-scoped advisory lock on (ward, assembly), so
 * concurrent selections are serialised and never exceed it. A replacement ends the old row and links both.
 */
@Injectable()
export class DelegatesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly access: AccessService,
    private readonly audit: AuditService,
    private readonly events: DomainEventBus,
    private readonly geography: GeographyService,
    private readonly standing: MemberStandingService,
    private readonly meetings: MeetingsService,
  ) {}

  /** The limit for a ward: ward, municipality, district, province, national, then the default. */
  async limitFor(
    chain: WardChain,
    assembly: AssemblyType,
    manager?: EntityManager,
  ): Promise<number> {
    const rows: { area_level: string; max_per_ward: number }[] = await (
      manager ?? this.dataSource.manager
    ).query(
      `SELECT area_level, max_per_ward FROM delegate_limits
        WHERE assembly = $1 AND ((area_level = 'ward' AND area_code = $2)
           OR (area_level = 'municipality' AND area_code = $3) OR (area_level = 'district' AND area_code = $4)
           OR (area_level = 'province' AND area_code = $5) OR (area_level = 'national'))`,
      [assembly, chain.wardCode, chain.municipalityCode, chain.districtCode, chain.provinceCode],
    );
    for (const level of ['ward', 'municipality', 'district', 'province', 'national']) {
      const hit = rows.find((r) => r.area_level === level);
      if (hit) return hit.max_per_ward;
    }
    return DEFAULT_DELEGATE_LIMITS[assembly];
  }

  private async wardForWrite(actor: AuthUser, code: string): Promise<WardChain> {
    const chain = WARD_RE.test(code) ? await this.geography.findWardChain(code) : null;
    if (!chain) throw AppException.notFound(`Ward ${code}`);
    requireWithinScope(actor, chain, 'You may select delegates only inside your own area');
    return chain;
  }

  /** 422 unless the meeting is a verified, quorate BGA of the ward. */
  private async qualifyingMeeting(actor: AuthUser, meetingId: string, ward: string): Promise<void> {
    await this.access.require(actor, AccessResource.Meeting, 'read', [meetingId]);
    const m = await this.meetings.load(meetingId);
    const problem =
      m.type !== MeetingType.Bga || m.wardCode !== ward
        ? `meeting ${meetingId} is not a BGA of ward ${ward}`
        : m.status !== MeetingStatus.Held
          ? `the BGA is ${m.status}, not held`
          : !m.verifiedFigures
            ? 'the BGA is not verified'
            : !m.verifiedFigures.quorumMet
              ? `the BGA was not quorate (${m.verifiedFigures.attendeesInGoodStanding} of a quorum of ${m.verifiedFigures.quorum})`
              : null;
    if (problem) {
      throw new AppException(
        HttpStatus.UNPROCESSABLE_ENTITY,
        ErrorCode.MeetingNotEligible,
        `Delegates are selected at a verified, quorate BGA of the ward: ${problem}`,
      );
    }
  }

  /** The member, when Active and a member of the ward; else 404 (unknown) or 422 MEMBER_INELIGIBLE. */
  private async eligibleMember(memberId: string, ward: string): Promise<MemberByNumber> {
    const [person] = await this.standing.byIds([memberId]);
    if (!person || person.wardCode !== ward) {
      if (!person) throw AppException.notFound(`Member ${memberId}`);
      throw new AppException(
        HttpStatus.UNPROCESSABLE_ENTITY,
        ErrorCode.MemberIneligible,
        `A delegate must be a member of ward ${ward}`,
      );
    }
    if (person.status !== MemberStatus.Active) {
      throw new AppException(
        HttpStatus.UNPROCESSABLE_ENTITY,
        ErrorCode.MemberIneligible,
        `A delegate must be in good standing (Active); this member is ${person.status}`,
      );
    }
    return person;
  }

  private lock(manager: EntityManager, ward: string, assembly: AssemblyType): Promise<unknown> {
    return manager.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
      DELEGATE_LOCK_NAMESPACE,
      `${ward}:${assembly}`,
    ]);
  }

  private async alreadyDelegate(
    manager: EntityManager,
    memberId: string,
    assembly: AssemblyType,
  ): Promise<void> {
    if (await manager.existsBy(BranchDelegate, { memberId, assembly, active: true })) {
      throw AppException.conflict(
        `The member is already a delegate to the ${assembly.toUpperCase()}`,
      );
    }
  }

  async select(actor: AuthUser, wardCode: string, dto: SelectDelegateDto): Promise<DelegateDto> {
    const chain = await this.wardForWrite(actor, wardCode);
    await this.qualifyingMeeting(actor, dto.meetingId, chain.wardCode);
    const person = await this.eligibleMember(dto.memberId, chain.wardCode);
    const saved = await this.dataSource.transaction(async (manager) => {
      await this.lock(manager, chain.wardCode, dto.assembly);
      const limit = await this.limitFor(chain, dto.assembly, manager);
      const count = await manager.countBy(BranchDelegate, {
        wardCode: chain.wardCode,
        assembly: dto.assembly,
        active: true,
      });
      if (count >= limit) {
        throw new AppException(
          HttpStatus.CONFLICT,
          ErrorCode.DelegateLimitReached,
          `Ward ${chain.wardCode} already has ${count} of ${limit} delegates to the ${dto.assembly.toUpperCase()}`,
          undefined,
          { limit, selected: count },
        );
      }
      await this.alreadyDelegate(manager, person.id, dto.assembly);
      const d = await manager.save(
        manager.create(BranchDelegate, {
          ...chain,
          assembly: dto.assembly,
          memberId: person.id,
          membershipNumber: person.membershipNumber,
          meetingId: dto.meetingId,
          active: true,
          selectedBy: actor.id,
        }),
      );
      await this.audit.record(
        {
          action: 'branches.delegate_selected',
          entityType: 'branch_delegate',
          entityId: d.id,
          provinceCode: chain.provinceCode,
          changes: {
            assembly: { from: null, to: dto.assembly },
            memberId: { from: null, to: person.id },
            meetingId: { from: null, to: dto.meetingId },
          },
        },
        manager,
      );
      return d;
    });
    this.publish(saved);
    return delegateDto(saved, person);
  }

  async replace(actor: AuthUser, id: string, dto: ReplaceDelegateDto): Promise<DelegateDto> {
    await this.access.require(actor, AccessResource.Delegate, 'write', [id]);
    const old = await this.dataSource.manager.findOneByOrFail(BranchDelegate, { id });
    await this.qualifyingMeeting(actor, dto.meetingId, old.wardCode);
    const person = await this.eligibleMember(dto.memberId, old.wardCode);
    const saved = await this.dataSource.transaction(async (manager) => {
      await this.lock(manager, old.wardCode, old.assembly);
      const fresh = await manager.findOneByOrFail(BranchDelegate, { id });
      if (!fresh.active) {
        throw AppException.conflict(`Delegate ${id} was already replaced`, {
          replacedById: fresh.replacedById,
        });
      }
      await this.alreadyDelegate(manager, person.id, old.assembly);
      await manager.update(BranchDelegate, { id }, { active: false, endedAt: new Date() });
      const d = await manager.save(
        manager.create(BranchDelegate, {
          assembly: old.assembly,
          wardCode: old.wardCode,
          municipalityCode: old.municipalityCode,
          districtCode: old.districtCode,
          provinceCode: old.provinceCode,
          memberId: person.id,
          membershipNumber: person.membershipNumber,
          meetingId: dto.meetingId,
          active: true,
          replacesId: id,
          replacementReason: dto.reason,
          selectedBy: actor.id,
        }),
      );
      await manager.update(
        BranchDelegate,
        { id },
        { replacedById: d.id, replacementReason: dto.reason },
      );
      await this.audit.record(
        {
          action: 'branches.delegate_replaced',
          entityType: 'branch_delegate',
          entityId: d.id,
          provinceCode: old.provinceCode,
          changes: {
            memberId: { from: old.memberId, to: person.id },
            reason: { from: null, to: dto.reason },
          },
        },
        manager,
      );
      return d;
    });
    this.publish(saved);
    return delegateDto(saved, person);
  }

  private filtered(
    actor: AuthUser,
    q: {
      assembly?: AssemblyType;
      level?: keyof typeof AREA_COLUMN;
      code?: string;
      history?: boolean;
    },
  ) {
    if ((q.level && !q.code) || (!q.level && q.code)) {
      throw AppException.badRequest('level and code go together', q.level ? 'code' : 'level');
    }
    const qb = scoped(
      this.dataSource.manager.createQueryBuilder(BranchDelegate, 'd'),
      actor.scope,
      'd',
    );
    if (q.assembly) qb.andWhere('d.assembly = :assembly', { assembly: q.assembly });
    if (q.level) qb.andWhere(`d.${AREA_COLUMN[q.level]} = :code`, { code: q.code });
    if (!q.history) qb.andWhere('d.active');
    return qb;
  }

  private async withPeople(rows: BranchDelegate[]): Promise<DelegateDto[]> {
    const people = new Map(
      (await this.standing.byIds(rows.map((r) => r.memberId))).map((p) => [p.id, p]),
    );
    return rows.map((r) => delegateDto(r, people.get(r.memberId)));
  }

  async list(actor: AuthUser, query: DelegateQueryDto): Promise<Page<DelegateDto>> {
    const qb = this.filtered(actor, query);
    if (query.cursor) {
      const [ward, id] = decodeCursor(query.cursor, 2);
      qb.andWhere('(d.ward_code, d.id) > (:cw, CAST(:cid AS uuid))', { cw: ward, cid: id });
    }
    const rows = await qb
      .orderBy('d.ward_code', 'ASC')
      .addOrderBy('d.id', 'ASC')
      .limit(query.limit + 1)
      .getMany();
    return toPage(await this.withPeople(rows), query.limit, (d) => [d.wardCode, d.id]);
  }

  async export(actor: AuthUser, query: DelegateExportQueryDto, out: Writable): Promise<void> {
    const qb = this.filtered(actor, query)
      .orderBy('d.province_code')
      .addOrderBy('d.district_code')
      .addOrderBy('d.municipality_code')
      .addOrderBy('d.ward_code')
      .addOrderBy('d.assembly')
      .addOrderBy('d.id');
    const columns = [
      'Province',
      'Region',
      'Sub-region',
      'Ward',
      'Assembly',
      'Membership number',
      'Surname',
      'First names',
      'Selected at',
    ].map((header) => ({ header }));
    const withPeople = (batch: BranchDelegate[]): Promise<DelegateDto[]> => this.withPeople(batch);
    async function* rows(): AsyncIterable<(string | null)[]> {
      let offset = 0;
      for (;;) {
        const batch = await qb.clone().skip(offset).take(500).getMany();
        if (batch.length === 0) return;
        offset += batch.length;
        for (const d of await withPeople(batch)) {
          yield [
            d.provinceCode,
            d.districtCode,
            d.municipalityCode,
            d.wardCode,
            d.assembly.toUpperCase(),
            d.membershipNumber,
            d.surname,
            d.firstNames,
            d.selectedAt,
          ];
        }
      }
    }
    await writeTable(out, query.format, columns, rows(), async (count) => {
      await this.audit.record({
        action: 'branches.delegates_exported',
        entityType: 'branch_delegate',
        changes: { rows: { from: null, to: count }, format: { from: null, to: query.format } },
      });
    });
  }

  /** Sets the per-ward limit of an assembly for an area at or below the caller's level, inside their area (not by a ward admin). */
  async setLimit(actor: AuthUser, dto: SetDelegateLimitDto): Promise<DelegateLimitDto> {
    if (actor.scope.level === ScopeLevel.Ward) {
      // The limit binds the ward: its own admin does not set it (as a ward is approved only from above).
      throw AppException.forbidden(
        "A ward's delegate limit is set by an admin above the ward, not at ward level",
      );
    }
    const scope: Scope =
      dto.level === 'national'
        ? { level: ScopeLevel.National, code: null }
        : { level: dto.level as ScopeLevel, code: dto.code ?? '' };
    if (dto.level !== 'national' && !dto.code) {
      throw AppException.badRequest('code is required below national level', 'code');
    }
    const chain =
      dto.level === 'national'
        ? null
        : await this.geography.areaChain(
            dto.level as unknown as GeographyLevel,
            dto.code as string,
          );
    if (dto.level !== 'national' && !chain) {
      throw AppException.badRequest(`There is no ${dto.level} ${dto.code}`, 'code', 'unknownArea');
    }
    if (!coversScope(actor, scope, chain)) {
      throw AppException.forbidden('You may set limits only for your own area or areas inside it');
    }
    const code = dto.level === 'national' ? 'ZA' : (dto.code as string);
    await this.dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO delegate_limits (area_level, area_code, assembly, max_per_ward, updated_by)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (area_level, area_code, assembly)
         DO UPDATE SET max_per_ward = EXCLUDED.max_per_ward, updated_by = EXCLUDED.updated_by, updated_at = now()`,
        [dto.level, code, dto.assembly, dto.maxPerWard, actor.id],
      );
      await this.audit.record(
        {
          action: 'branches.delegate_limit_set',
          entityType: 'delegate_limit',
          provinceCode: chain?.provinceCode ?? null,
          changes: {
            area: { from: null, to: `${dto.level}:${code}` },
            assembly: { from: null, to: dto.assembly },
            maxPerWard: { from: null, to: dto.maxPerWard },
          },
        },
        manager,
      );
    });
    return { level: dto.level, code, assembly: dto.assembly, maxPerWard: dto.maxPerWard };
  }

  private publish(d: BranchDelegate): void {
    this.events.publish(
      domainEvent(
        DomainEventType.DelegateSelected,
        {
          provinceCode: d.provinceCode,
          districtCode: d.districtCode,
          municipalityCode: d.municipalityCode,
          wardCode: d.wardCode,
        },
        { delegateId: d.id, wardCode: d.wardCode, assembly: d.assembly, replacesId: d.replacesId },
      ),
    );
  }
}
