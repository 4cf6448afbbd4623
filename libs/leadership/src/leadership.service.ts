import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import {
  DataSource,
  EntityManager,
  QueryFailedError,
  Repository,
  SelectQueryBuilder,
} from 'typeorm';
import { AccessResource, AccessService, AuthUser, scoped } from '@app/auth';
import {
  AppException,
  AuditService,
  decodeCursor,
  diff,
  DomainEventBus,
  domainEvent,
  DomainEventType,
  ErrorCode,
  EventArea,
  Page,
  PersonalDataScrub,
  toPage,
  todayInSouthAfrica,
} from '@app/core';
import { MembersService, MemberStatus, MemberSummary } from '@app/members';
import {
  AppointmentDto,
  CreateAppointmentDto,
  EndAppointmentDto,
  HistoryQueryDto,
  StructureDetailDto,
  StructureDto,
  StructureQueryDto,
  VacancyDto,
  VacancyQueryDto,
} from './dto/leadership.dto.js';
import { LeadershipAppointment } from './entities/leadership-appointment.entity.js';
import { LeadershipPosition } from './entities/leadership-position.entity.js';
import { LeadershipStructure } from './entities/leadership-structure.entity.js';
import {
  appointmentDto,
  holderName,
  LoadedAppointment,
  positionDto,
  structureDto,
  vacancyDto,
  VacancyRow,
} from './leadership.mapper.js';
import { memberInsideArea, structureChain } from './leadership.policy.js';

const EX_SINGLE_HOLDER = 'EX_leadership_appointments_single_holder';
const EX_MEMBER_PER_STRUCTURE = 'EX_leadership_appointments_member_per_structure';

/** An appointment's dates: from startsOn (inclusive) to endsOn (exclusive; null: open-ended). */
interface Term {
  startsOn: string;
  endsOn: string | null;
}

/** Serialises the appointments to one structure (SELECT … FOR UPDATE on its row). */
async function lockStructure(manager: EntityManager, structureId: string): Promise<void> {
  await manager.query('SELECT id FROM leadership_structures WHERE id = $1 FOR UPDATE', [
    structureId,
  ]);
}

/** 422 MEMBER_INELIGIBLE unless the member is active and inside the area the position requires. */
function assertEligible(
  structure: LeadershipStructure,
  position: LeadershipPosition,
  member: MemberSummary,
): void {
  const problems: string[] = [];
  if (member.status !== MemberStatus.Active)
    problems.push(`the member's status is ${member.status}, not active`);
  if (!memberInsideArea(structure, position, member)) {
    problems.push(
      position.provinceCode
        ? `the member is not a member of province ${position.provinceCode}`
        : `the member's ward ${member.wardCode} is not inside ${structure.name}`,
    );
  }
  if (problems.length > 0) {
    throw new AppException(
      HttpStatus.UNPROCESSABLE_ENTITY,
      ErrorCode.MemberIneligible,
      `${holderName(member)} may not hold ${position.title}: ${problems.join('; ')}`,
      undefined,
      { reasons: problems },
    );
  }
}

function eventArea(structure: LeadershipStructure): EventArea | null {
  return structureChain(structure);
}

function constraintOf(error: unknown): { code?: string; constraint?: string } {
  if (!(error instanceof QueryFailedError)) return {};
  return (error.driverError ?? {}) as { code?: string; constraint?: string };
}

/**
 * Command structures, their positions and appointments. Reads are scoped to the caller's area (outside: 404);
 * changes need a structure inside the caller's area at or below their level (outside: 403). History is never
 * deleted; ending sets the end date and reason.
 */
@Injectable()
export class LeadershipService {
  constructor(
    @InjectRepository(LeadershipStructure)
    private readonly structures: Repository<LeadershipStructure>,
    @InjectRepository(LeadershipPosition)
    private readonly positions: Repository<LeadershipPosition>,
    @InjectRepository(LeadershipAppointment)
    private readonly appointments: Repository<LeadershipAppointment>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly events: DomainEventBus,
    private readonly access: AccessService,
    private readonly members: MembersService,
  ) {}

  // --- reads ---

  private appointmentQuery(manager?: EntityManager): SelectQueryBuilder<LeadershipAppointment> {
    const repository = manager ? manager.getRepository(LeadershipAppointment) : this.appointments;
    return repository
      .createQueryBuilder('a')
      .innerJoinAndSelect('a.structure', 's')
      .innerJoinAndSelect('a.position', 'p');
  }

  /** Attaches each appointment's holder (MembersService.summariesOf: name, number, status and area). */
  private async withHolders(
    rows: LeadershipAppointment[],
    manager?: EntityManager,
  ): Promise<LoadedAppointment[]> {
    const holders = await this.members.summariesOf(
      rows.map((a) => a.memberId),
      manager,
    );
    const byId = new Map(holders.map((m) => [m.id, m]));
    return rows.map((a) => {
      const member = byId.get(a.memberId);
      if (!member) throw new Error(`Appointment ${a.id} has no member ${a.memberId}`);
      return Object.assign(a, { member }) as LoadedAppointment;
    });
  }

  /** The structure when it lies inside the caller's scope; otherwise 404 whether or not it exists. */
  private async visibleStructure(actor: AuthUser, id: string): Promise<LeadershipStructure> {
    await this.access.require(actor, AccessResource.Structure, 'read', [id]);
    return this.structures.findOneByOrFail({ id });
  }

  async listStructures(actor: AuthUser, query: StructureQueryDto): Promise<Page<StructureDto>> {
    const qb = scoped(this.structures.createQueryBuilder('s'), actor.scope, 's');
    if (query.level) qb.andWhere('s.kind = :kind', { kind: query.level });
    if (query.code) qb.andWhere('s.area_code = :code', { code: query.code });
    if (query.cursor) {
      const [kind, areaCode] = decodeCursor(query.cursor, 2);
      qb.andWhere(
        '(s.kind, s.area_code) > (CAST(:cursorKind AS leadership_structure_kind), :cursorArea)',
        { cursorKind: kind, cursorArea: areaCode },
      );
    }
    const rows = await qb
      .orderBy('s.kind', 'ASC')
      .addOrderBy('s.area_code', 'ASC')
      .limit(query.limit + 1)
      .getMany();
    return toPage(rows.map(structureDto), query.limit, (s) => [s.kind, s.areaCode]);
  }

  async getStructure(actor: AuthUser, id: string): Promise<StructureDetailDto> {
    const structure = await this.visibleStructure(actor, id);
    const today = todayInSouthAfrica();
    const [positions, holders] = await Promise.all([
      this.positions.find({ where: { structureKind: structure.kind }, order: { rank: 'ASC' } }),
      this.appointmentQuery()
        .where('a.structure_id = :id', { id })
        .andWhere('a.starts_on <= :today AND (a.ends_on IS NULL OR a.ends_on > :today)', {
          today,
        })
        .orderBy('a.starts_on', 'ASC')
        .addOrderBy('a.id', 'ASC')
        .getMany()
        .then((rows) => this.withHolders(rows)),
    ]);
    const seats = positions.map((position) => {
      const held = holders
        .filter((a) => a.positionId === position.id)
        .map((a) => appointmentDto(a, today));
      return {
        position: positionDto(position),
        holders: held,
        vacantSeats: Math.max(0, position.seats - held.length),
      };
    });
    return {
      ...structureDto(structure),
      positions: seats,
      vacantSeats: seats.reduce((sum, s) => sum + s.vacantSeats, 0),
    };
  }

  async history(
    actor: AuthUser,
    id: string,
    query: HistoryQueryDto,
  ): Promise<Page<AppointmentDto>> {
    await this.visibleStructure(actor, id);
    const qb = this.appointmentQuery().where('a.structure_id = :id', { id });
    if (query.positionId)
      qb.andWhere('a.position_id = :positionId', { positionId: query.positionId });
    if (query.cursor) {
      const [startsOn, appointmentId] = decodeCursor(query.cursor, 2);
      qb.andWhere('(a.starts_on, a.id) < (CAST(:cursorStart AS date), CAST(:cursorId AS uuid))', {
        cursorStart: startsOn,
        cursorId: appointmentId,
      });
    }
    const rows = await this.withHolders(
      await qb
        .orderBy('a.starts_on', 'DESC')
        .addOrderBy('a.id', 'DESC')
        .limit(query.limit + 1)
        .getMany(),
    );
    const today = todayInSouthAfrica();
    return toPage(
      rows.map((a) => appointmentDto(a, today)),
      query.limit,
      (a) => [a.startsOn, a.id],
    );
  }

  async vacancies(actor: AuthUser, query: VacancyQueryDto): Promise<Page<VacancyDto>> {
    const today = todayInSouthAfrica();
    const filled = `(SELECT count(*) FROM leadership_appointments a
                      WHERE a.structure_id = s.id AND a.position_id = p.id AND a.starts_on <= :today
                        AND (a.ends_on IS NULL OR a.ends_on > :today))`;
    const qb = this.dataSource
      .createQueryBuilder()
      .from(LeadershipStructure, 's')
      .innerJoin(LeadershipPosition, 'p', 'p.structure_kind = s.kind')
      .select([
        's.id AS s_id',
        's.kind AS s_kind',
        's.area_code AS s_area_code',
        's.name AS s_name',
        's.province_code AS s_province_code',
        's.district_code AS s_district_code',
        's.municipality_code AS s_municipality_code',
        's.ward_code AS s_ward_code',
        'p.id AS p_id',
        'p.code AS p_code',
        'p.title AS p_title',
        'p.rank AS p_rank',
        'p.seats AS p_seats',
        'p.province_code AS p_province_code',
      ])
      .addSelect(filled, 'filled');
    scoped(qb, actor.scope, 's').andWhere(`p.seats > ${filled}`, { today });
    if (query.level) qb.andWhere('s.kind = :kind', { kind: query.level });
    if (query.code) qb.andWhere('s.area_code = :code', { code: query.code });
    if (query.cursor) {
      const [kind, areaCode, rank] = decodeCursor(query.cursor, 3);
      if (typeof rank !== 'number') throw AppException.badRequest('cursor is not valid', 'cursor');
      qb.andWhere(
        '(s.kind, s.area_code, p.rank) > (CAST(:cursorKind AS leadership_structure_kind), :cursorArea, :cursorRank)',
        { cursorKind: kind, cursorArea: areaCode, cursorRank: rank },
      );
    }
    const rows = await qb
      .orderBy('s.kind', 'ASC')
      .addOrderBy('s.area_code', 'ASC')
      .addOrderBy('p.rank', 'ASC')
      .limit(query.limit + 1)
      .getRawMany<VacancyRow>();
    const page = toPage(rows, query.limit, (r) => [r.s_kind, r.s_area_code, r.p_rank]);
    return {
      nextCursor: page.nextCursor,
      data: page.data.map(vacancyDto),
    };
  }

  /** Every appointment of a member (current first, then by start), if the member is inside the caller's scope. */
  async memberPositions(actor: AuthUser, memberId: string): Promise<AppointmentDto[]> {
    await this.members.summaryInScope(actor, memberId);
    const rows = await this.withHolders(
      await this.appointmentQuery()
        .where('a.member_id = :memberId', { memberId })
        .orderBy('a.starts_on', 'DESC')
        .addOrderBy('a.id', 'DESC')
        .getMany(),
    );
    const today = todayInSouthAfrica();
    return rows.map((a) => appointmentDto(a, today));
  }

  /**
   * Every appointment of one member with its structure and position, newest first, unscoped: the member portal,
   * where the caller IS that member. Carries no other member's data.
   */
  ownAppointments(memberId: string): Promise<LeadershipAppointment[]> {
    return this.appointmentQuery()
      .where('a.member_id = :memberId', { memberId })
      .orderBy('a.starts_on', 'DESC')
      .addOrderBy('a.id', 'DESC')
      .getMany();
  }

  private async loadAppointment(id: string, manager?: EntityManager): Promise<LoadedAppointment> {
    const appointment = await this.appointmentQuery(manager).where('a.id = :id', { id }).getOne();
    if (!appointment) throw AppException.notFound(`Appointment ${id}`);
    const [loaded] = await this.withHolders([appointment], manager);
    return loaded as LoadedAppointment;
  }

  /** Every appointment of a member, unscoped, inside the caller's transaction (privacy's erasure). */
  appointmentsOf(manager: EntityManager, memberId: string): Promise<LeadershipAppointment[]> {
    return manager.find(LeadershipAppointment, { where: { memberId } });
  }

  /** Rewrites the notes of `appointments` through `scrub` (erasure); the appointments themselves stay. */
  async scrubNotes(
    manager: EntityManager,
    appointments: LeadershipAppointment[],
    scrub: PersonalDataScrub,
  ): Promise<void> {
    for (const a of appointments) {
      const note = scrub.nullableText(a.note);
      const endNote = scrub.nullableText(a.endNote);
      if (note !== a.note || endNote !== a.endNote)
        await manager.update(LeadershipAppointment, a.id, { note, endNote });
    }
  }

  /** The structure with this id, unscoped (null when there is none): callers check access themselves. */
  structureById(id: string): Promise<LeadershipStructure | null> {
    return this.structures.findOneBy({ id });
  }

  /** The members holding a position in the structure on `date` (the office bearers), unscoped. */
  async officeBearersOn(
    structureId: string,
    date: string,
    manager?: EntityManager,
  ): Promise<MemberSummary[]> {
    const rows = await this.appointmentQuery(manager)
      .where('a.structure_id = :structureId', { structureId })
      .andWhere('a.starts_on <= :date AND (a.ends_on IS NULL OR a.ends_on > :date)', { date })
      .getMany();
    const members = await this.members.summariesOf(
      rows.map((a) => a.memberId),
      manager,
    );
    return members.sort((a, b) => a.surname.localeCompare(b.surname) || a.id.localeCompare(b.id));
  }

  // --- changes ---

  /** The holders of a position whose appointments overlap [startsOn, endsOn). */
  private async overlappingHolders(
    manager: EntityManager | undefined,
    structureId: string,
    filter: { positionId: string } | { memberId: string },
    { startsOn, endsOn }: Term,
  ): Promise<LoadedAppointment[]> {
    const qb = this.appointmentQuery(manager)
      .where('a.structure_id = :structureId', { structureId })
      .andWhere(
        `daterange(a.starts_on, a.ends_on, '[)') && daterange(CAST(:startsOn AS date), CAST(:endsOn AS date), '[)')`,
        { startsOn, endsOn },
      );
    if ('positionId' in filter)
      qb.andWhere('a.position_id = :positionId', { positionId: filter.positionId });
    else qb.andWhere('a.member_id = :memberId', { memberId: filter.memberId });
    return this.withHolders(await qb.orderBy('a.starts_on', 'ASC').getMany(), manager);
  }

  private seatTaken(
    structure: LeadershipStructure,
    position: LeadershipPosition,
    holders: LoadedAppointment[],
  ): AppException {
    const first = holders[0];
    const holder = first
      ? {
          appointmentId: first.id,
          memberId: first.member.id,
          membershipNumber: first.member.membershipNumber,
          firstNames: first.member.firstNames,
          surname: first.member.surname,
          startsOn: first.startsOn,
          endsOn: first.endsOn,
        }
      : null;
    const detail =
      position.seats === 1 && first
        ? `${position.title} of ${structure.name} is held by ${holderName(first.member)} from ${first.startsOn}${first.endsOn ? ` until ${first.endsOn}` : ''}`
        : `All ${position.seats} seats of ${position.title} of ${structure.name} are taken for those dates`;
    return new AppException(HttpStatus.CONFLICT, ErrorCode.SeatTaken, detail, undefined, {
      holder,
    });
  }

  private alreadyInStructure(
    structure: LeadershipStructure,
    existing: LoadedAppointment,
  ): AppException {
    return new AppException(
      HttpStatus.CONFLICT,
      ErrorCode.AlreadyInStructure,
      `${holderName(existing.member)} already holds ${existing.position.title} in ${structure.name} for those dates`,
      undefined,
      { appointmentId: existing.id, positionId: existing.positionId },
    );
  }

  /**
   * Appoints a member. Order of checks: structure exists (404) and may be managed (403); the position belongs to
   * the structure's kind and the dates are sane (400); the member is visible (404) and eligible (422); then,
   * under a row lock on the structure (so appointments to one structure are serialised and multi-seat counts
   * hold), conflicts (409). The exclusion constraints are the database's guarantee behind the checks.
   */
  async appoint(actor: AuthUser, dto: CreateAppointmentDto): Promise<AppointmentDto> {
    await this.access.require(actor, AccessResource.Structure, 'write', [dto.structureId]);
    const structure = await this.structures.findOneByOrFail({ id: dto.structureId });
    const position = await this.positionOf(structure, dto.positionId);
    const today = todayInSouthAfrica();
    const term: Term = { startsOn: dto.startsOn ?? today, endsOn: dto.endsOn ?? null };
    if (term.endsOn !== null && term.endsOn <= term.startsOn) {
      throw AppException.badRequest('endsOn must be after startsOn', 'endsOn', 'endBeforeStart');
    }
    const member = await this.members.summaryInScope(actor, dto.memberId);
    assertEligible(structure, position, member);
    let appointmentId: string;
    try {
      appointmentId = await this.dataSource.transaction((manager) =>
        this.insertAppointment(manager, actor, structure, position, member.id, dto, term),
      );
    } catch (error) {
      throw await this.translateConflict(error, structure, position, member.id, term);
    }
    this.publish(structure, position.id, appointmentId, 'appointed');
    return appointmentDto(await this.loadAppointment(appointmentId), today);
  }

  /** The position, when it belongs to the structure's kind; else 400. */
  private async positionOf(
    structure: LeadershipStructure,
    positionId: string,
  ): Promise<LeadershipPosition> {
    const position = await this.positions.findOneBy({ id: positionId });
    if (!position || position.structureKind !== structure.kind) {
      throw AppException.badRequest(
        `positionId is not a position of a ${structure.kind} structure`,
        'positionId',
        'positionNotInStructure',
      );
    }
    return position;
  }

  /**
   * Under a row lock on the structure (appointments to one structure are serialised, so multi-seat counts
   * hold): refuses overlapping appointments (409), then inserts the appointment and its audit event.
   */
  private async insertAppointment(
    manager: EntityManager,
    actor: AuthUser,
    structure: LeadershipStructure,
    position: LeadershipPosition,
    memberId: string,
    dto: CreateAppointmentDto,
    term: Term,
  ): Promise<string> {
    await lockStructure(manager, structure.id);
    const [existing] = await this.overlappingHolders(manager, structure.id, { memberId }, term);
    if (existing) throw this.alreadyInStructure(structure, existing);
    const holders = await this.overlappingHolders(
      manager,
      structure.id,
      { positionId: position.id },
      term,
    );
    if (holders.length >= position.seats) throw this.seatTaken(structure, position, holders);
    const appointed = {
      structureId: structure.id,
      positionId: position.id,
      memberId,
      kind: dto.kind,
      ...term,
    };
    const saved = await manager.save(
      manager.create(LeadershipAppointment, {
        ...appointed,
        singleHolder: position.seats === 1,
        endReason: null,
        note: dto.note ?? null,
        endNote: null,
        appointedBy: actor.id,
        endedBy: null,
      }),
    );
    await this.audit.record(
      {
        action: 'leadership.appointed',
        entityType: 'leadership_appointment',
        entityId: saved.id,
        provinceCode: structure.provinceCode,
        changes: diff({}, appointed),
      },
      manager,
    );
    return saved.id;
  }

  /** Ends an appointment: sets the (exclusive) end date and reason. Nothing is ever deleted. */
  async end(actor: AuthUser, id: string, dto: EndAppointmentDto): Promise<AppointmentDto> {
    const appointment = await this.loadAppointment(id);
    await this.access.require(actor, AccessResource.Structure, 'write', [appointment.structureId]);
    const today = todayInSouthAfrica();
    const endsOn = dto.endsOn ?? today;
    if (endsOn < appointment.startsOn) {
      throw AppException.badRequest(
        `endsOn (${endsOn}) is before the appointment started (${appointment.startsOn})`,
        'endsOn',
        'endBeforeStart',
      );
    }
    try {
      await this.dataSource.transaction(async (manager) => {
        await lockStructure(manager, appointment.structureId);
        const fresh = await manager.findOneByOrFail(LeadershipAppointment, { id });
        if (fresh.endReason !== null) {
          throw AppException.conflict(
            `The appointment already ended on ${fresh.endsOn ?? '?'} (${fresh.endReason})`,
          );
        }
        await manager.update(
          LeadershipAppointment,
          { id },
          { endsOn, endReason: dto.reason, endedBy: actor.id, endNote: dto.note ?? null },
        );
        await this.audit.record(
          {
            action: 'leadership.appointment_ended',
            entityType: 'leadership_appointment',
            entityId: id,
            provinceCode: appointment.structure.provinceCode,
            changes: diff(
              { endsOn: fresh.endsOn, endReason: null },
              { endsOn, endReason: dto.reason },
            ),
          },
          manager,
        );
      });
    } catch (error) {
      throw await this.translateConflict(
        error,
        appointment.structure,
        appointment.position,
        appointment.memberId,
        { startsOn: appointment.startsOn, endsOn },
      );
    }
    this.publish(appointment.structure, appointment.positionId, id, 'ended');
    return appointmentDto(await this.loadAppointment(id), today);
  }

  /** Exclusion (23P01) and unique (23505) violations become 409s naming what is in the way. */
  private async translateConflict(
    error: unknown,
    structure: LeadershipStructure,
    position: LeadershipPosition,
    memberId: string,
    term: Term,
  ): Promise<unknown> {
    const { code, constraint } = constraintOf(error);
    if (code === '23P01' && constraint === EX_SINGLE_HOLDER) {
      const holders = await this.overlappingHolders(
        undefined,
        structure.id,
        { positionId: position.id },
        term,
      );
      return this.seatTaken(structure, position, holders);
    }
    if (code === '23P01' && constraint === EX_MEMBER_PER_STRUCTURE) {
      const [existing] = await this.overlappingHolders(undefined, structure.id, { memberId }, term);
      if (existing) return this.alreadyInStructure(structure, existing);
    }
    if (code === '23P01' || code === '23505') {
      return AppException.conflict('The change conflicts with another appointment');
    }
    return error;
  }

  private publish(
    structure: LeadershipStructure,
    positionId: string,
    appointmentId: string,
    change: 'appointed' | 'ended',
  ): void {
    // National structures (CCT, War Council) have no area: the gateway sends them to national sockets only.
    this.events.publish(
      domainEvent(DomainEventType.LeadershipChanged, eventArea(structure), {
        structureId: structure.id,
        positionId,
        appointmentId,
        change,
      }),
    );
  }
}
