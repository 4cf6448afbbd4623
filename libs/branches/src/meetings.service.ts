import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import {
  AccessResource,
  AccessService,
  AuthUser,
  requireWithinScope,
  scoped,
  ScopeLevel,
  SCOPE_DEPTH,
} from '@app/auth';
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
  toPage,
  todayInSouthAfrica,
} from '@app/core';
import { LeadershipService } from '@app/leadership';
import { MembersService, MemberStandingService } from '@app/members';
import type { MemberOnDate } from '@app/members';
import { MeetingStatus, MeetingType } from './branches.enums.js';
import {
  AttendanceResultDto,
  AttendeeDto,
  ChangeMeetingStatusDto,
  CreateMeetingDto,
  InviteeDto,
  MeetingDto,
  MeetingFiguresDto,
  MeetingQueryDto,
  UpdateMeetingDto,
} from './dto/branches.dto.js';
import { BranchMeeting, VerifiedFigures } from './entities/branch-meeting.entity.js';
import { MeetingAttendance } from './entities/meeting-attendance.entity.js';
import { figuresOf, inGoodStanding, isInvited, wardFiguresSql } from './meeting-figures.js';
import type { WardFigureCounts } from './meeting-figures.js';
import { attendanceRefusal, judgeAttendance } from './attendance/attendance-rules.js';

export type { AttendanceRejection } from './attendance/attendance-rules.js';

/** A member who may attend (invitee) with the status of the meeting date and whether they count for quorum. */
interface Invitee {
  id: string;
  membershipNumber: string;
  firstNames: string;
  surname: string;
  statusOnDate: string;
  counts: boolean;
}

export function meetingArea(m: BranchMeeting): EventArea | null {
  if (!m.provinceCode) return null;
  return {
    provinceCode: m.provinceCode,
    districtCode: m.districtCode,
    municipalityCode: m.municipalityCode,
    wardCode: m.wardCode,
  };
}

export function meetingDto(m: BranchMeeting, figures?: MeetingFiguresDto): MeetingDto {
  return {
    id: m.id,
    type: m.type,
    structureId: m.structureId,
    structureKind: m.structureKind,
    wardCode: m.wardCode,
    municipalityCode: m.municipalityCode,
    districtCode: m.districtCode,
    provinceCode: m.provinceCode,
    scheduledOn: m.scheduledOn,
    place: m.place,
    status: m.status,
    statusReason: m.statusReason,
    presidingMemberId: m.presidingMemberId,
    secretaryMemberId: m.secretaryMemberId,
    agenda: m.agenda,
    minutes: m.minutes,
    decisions: m.decisions,
    outcome: m.outcome,
    heldRecordedBy: m.heldRecordedBy,
    verifiedBy: m.verifiedBy,
    verifiedAt: m.verifiedAt ? m.verifiedAt.toISOString() : null,
    locked: m.verifiedAt !== null,
    version: m.version,
    ...(figures ? { figures } : {}),
  };
}

function locked(m: BranchMeeting): AppException {
  return new AppException(
    HttpStatus.CONFLICT,
    ErrorCode.MeetingLocked,
    `Meeting ${m.id} was verified on ${m.verifiedAt?.toISOString() ?? '?'}: it can no longer change`,
  );
}

function notEligible(detail: string): AppException {
  return new AppException(HttpStatus.UNPROCESSABLE_ENTITY, ErrorCode.MeetingNotEligible, detail);
}

/**
 * Meetings of wards (BGA, BPA) and command structures: scheduling, status, officers and minutes, invitations
 * and attendance (figures computed, never typed), and the four-eyes verification that locks a held meeting.
 * Reads outside the caller's area answer 404, writes 403 (AccessResource.Meeting).
 */
/** A meeting is held on or before today, never on a later date (409 with `detail` otherwise). */
function refuseHeldAfterToday(heldOn: string, detail: string): void {
  if (heldOn > todayInSouthAfrica())
    throw new AppException(HttpStatus.CONFLICT, ErrorCode.InvalidStatusTransition, detail);
}

@Injectable()
export class MeetingsService {
  constructor(
    @InjectRepository(BranchMeeting) private readonly meetings: Repository<BranchMeeting>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly access: AccessService,
    private readonly audit: AuditService,
    private readonly events: DomainEventBus,
    private readonly members: MembersService,
    private readonly standing: MemberStandingService,
    private readonly leadership: LeadershipService,
  ) {}

  // --- shared with the ward audit and delegates ---

  /** The invitees of a meeting on its date: ward assembly → Active and Grace members; structure → office bearers. */
  async invitees(m: BranchMeeting, manager?: EntityManager): Promise<Invitee[]> {
    if (m.type === MeetingType.Structure) {
      const bearers = await this.leadership.officeBearersOn(
        m.structureId as string,
        m.scheduledOn,
        manager,
      );
      return bearers.map((b) => ({
        id: b.id,
        membershipNumber: b.membershipNumber,
        firstNames: b.firstNames,
        surname: b.surname,
        statusOnDate: b.status,
        counts: true,
      }));
    }
    const onDate = await this.standing.membersOn(m.wardCode as string, m.scheduledOn, manager);
    return onDate.filter(isInvited).map((x: MemberOnDate) => ({
      id: x.id,
      membershipNumber: x.membershipNumber,
      firstNames: x.firstNames,
      surname: x.surname,
      statusOnDate: x.statusOnDate,
      counts: inGoodStanding(x),
    }));
  }

  /** The meeting's figures: frozen at verification, else computed now from the members' data. */
  async figures(m: BranchMeeting, manager?: EntityManager): Promise<MeetingFiguresDto> {
    if (m.verifiedFigures) return { ...m.verifiedFigures, frozen: true };
    return { ...(await this.computeFigures(m, manager)), frozen: false };
  }

  private async computeFigures(
    m: BranchMeeting,
    manager?: EntityManager,
  ): Promise<VerifiedFigures> {
    if (m.type !== MeetingType.Structure) {
      // One statement: the ward's members on the meeting date and the attendance, counted in SQL.
      const [counts] = await (manager ?? this.dataSource.manager).query<WardFigureCounts[]>(
        `WITH on_day AS (
           SELECT $2::date AS d, (($2::date + 1)::timestamp AT TIME ZONE 'Africa/Johannesburg') AS cutoff
         ), ${this.standing.statusOnDateSql('$1')}
         ${wardFiguresSql('$3::uuid')}`,
        [m.wardCode, m.scheduledOn, m.id],
      );
      return figuresOf(
        counts ?? { invited: 0, inGoodStanding: 0, attendees: 0, attendeesInGoodStanding: 0 },
      );
    }
    const [invitees, attendance] = await Promise.all([
      this.invitees(m, manager),
      (manager ?? this.dataSource.manager).find(MeetingAttendance, {
        where: { meetingId: m.id },
      }),
    ]);
    const invited = new Set(invitees.map((i) => i.id));
    // A structure's quorum is ⌊office bearers ÷ 2⌋ + 1: every office bearer counts.
    return figuresOf({
      invited: invitees.length,
      inGoodStanding: invitees.length,
      attendees: attendance.length,
      attendeesInGoodStanding: attendance.filter((a) => invited.has(a.memberId)).length,
    });
  }

  /** The meeting (unscoped) or 404. */
  async load(id: string, manager?: EntityManager): Promise<BranchMeeting> {
    const m = await (manager ?? this.dataSource.manager).findOneBy(BranchMeeting, { id });
    if (!m) throw AppException.notFound(`Meeting ${id}`);
    return m;
  }

  /** The latest held BGA of a ward (by date), or null. */
  latestHeldBga(wardCode: string): Promise<BranchMeeting | null> {
    return this.meetings.findOne({
      where: { wardCode, type: MeetingType.Bga, status: MeetingStatus.Held },
      order: { scheduledOn: 'DESC', id: 'DESC' },
    });
  }

  // --- routes ---

  async create(actor: AuthUser, dto: CreateMeetingDto): Promise<MeetingDto> {
    let values: Partial<BranchMeeting>;
    if (dto.type === MeetingType.Structure) {
      if (!dto.structureId || dto.wardCode) {
        throw AppException.badRequest(
          'A structure meeting needs structureId and no wardCode',
          'structureId',
          'structureRequired',
        );
      }
      await this.access.require(actor, AccessResource.Structure, 'write', [dto.structureId]);
      const s = await this.leadership.structureById(dto.structureId);
      if (!s) throw AppException.notFound(`Structure ${dto.structureId}`);
      values = {
        structureId: s.id,
        structureKind: s.kind,
        provinceCode: s.provinceCode,
        districtCode: s.districtCode,
        municipalityCode: s.municipalityCode,
        wardCode: s.wardCode,
      };
    } else {
      if (!dto.wardCode || dto.structureId) {
        throw AppException.badRequest(
          'A BGA or BPA needs wardCode and no structureId',
          'wardCode',
          'wardRequired',
        );
      }
      const chain = await this.members.wardChain(dto.wardCode);
      requireWithinScope(actor, chain, 'You may schedule meetings only inside your own area');
      values = { ...chain, structureId: null, structureKind: null };
    }
    const saved = await this.dataSource.transaction(async (manager) => {
      const m = await manager.save(
        manager.create(BranchMeeting, {
          ...values,
          type: dto.type,
          scheduledOn: dto.scheduledOn,
          place: dto.place,
          agenda: dto.agenda ?? null,
          status: MeetingStatus.Scheduled,
          createdBy: actor.id,
        }),
      );
      await this.audit.record(
        {
          action: 'branches.meeting_scheduled',
          entityType: 'branch_meeting',
          entityId: m.id,
          provinceCode: m.provinceCode,
          changes: diff({}, { type: m.type, scheduledOn: m.scheduledOn, place: m.place }),
        },
        manager,
      );
      return m;
    });
    this.publish(saved, 'scheduled');
    return meetingDto(await this.load(saved.id));
  }

  async list(actor: AuthUser, query: MeetingQueryDto): Promise<Page<MeetingDto>> {
    const qb = scoped(this.meetings.createQueryBuilder('m'), actor.scope, 'm');
    if (query.wardCode) qb.andWhere('m.ward_code = :ward', { ward: query.wardCode });
    if (query.structureId) qb.andWhere('m.structure_id = :sid', { sid: query.structureId });
    if (query.type) qb.andWhere('m.type = :type', { type: query.type });
    if (query.status) qb.andWhere('m.status = :status', { status: query.status });
    if (query.cursor) {
      const [on, id] = decodeCursor(query.cursor, 2);
      qb.andWhere('(m.scheduled_on, m.id) < (CAST(:on AS date), CAST(:cid AS uuid))', {
        on,
        cid: id,
      });
    }
    const rows = await qb
      .orderBy('m.scheduled_on', 'DESC')
      .addOrderBy('m.id', 'DESC')
      .limit(query.limit + 1)
      .getMany();
    return toPage(
      rows.map((m) => meetingDto(m)),
      query.limit,
      (m) => [m.scheduledOn, m.id],
    );
  }

  async get(actor: AuthUser, id: string): Promise<MeetingDto> {
    await this.access.require(actor, AccessResource.Meeting, 'read', [id]);
    const m = await this.load(id);
    return meetingDto(m, await this.figures(m));
  }

  async invitations(actor: AuthUser, id: string): Promise<InviteeDto[]> {
    await this.access.require(actor, AccessResource.Meeting, 'read', [id]);
    const m = await this.load(id);
    return (await this.invitees(m)).map((i) => ({
      memberId: i.id,
      membershipNumber: i.membershipNumber,
      firstNames: i.firstNames,
      surname: i.surname,
      statusOnDate: i.statusOnDate,
    }));
  }

  async attendance(actor: AuthUser, id: string): Promise<AttendeeDto[]> {
    await this.access.require(actor, AccessResource.Meeting, 'read', [id]);
    const m = await this.load(id);
    return this.attendees(m);
  }

  /** The attendees with their names and whether they count for the quorum. */
  async attendees(m: BranchMeeting): Promise<AttendeeDto[]> {
    const rows = await this.dataSource.manager.find(MeetingAttendance, {
      where: { meetingId: m.id },
    });
    const invitees = new Map((await this.invitees(m)).map((i) => [i.id, i]));
    const people = new Map(
      (await this.standing.byIds(rows.map((r) => r.memberId))).map((p) => [p.id, p]),
    );
    return rows
      .map((r) => {
        const p = people.get(r.memberId);
        const inv = invitees.get(r.memberId);
        return {
          memberId: r.memberId,
          membershipNumber: r.membershipNumber,
          firstNames: p?.firstNames ?? '',
          surname: p?.surname ?? '',
          statusOnDate: inv?.statusOnDate ?? p?.status ?? '',
          inGoodStanding: inv?.counts ?? false,
        };
      })
      .sort((a, b) => a.surname.localeCompare(b.surname) || a.memberId.localeCompare(b.memberId));
  }

  /** Locks the meeting row inside a transaction after checking write access; 409 when verified. */
  private async lockForChange(
    manager: EntityManager,
    actor: AuthUser,
    id: string,
  ): Promise<BranchMeeting> {
    await this.access.require(actor, AccessResource.Meeting, 'write', [id], {
      manager,
      lock: true,
    });
    const m = await this.load(id, manager);
    if (m.verifiedAt) throw locked(m);
    return m;
  }

  async update(actor: AuthUser, id: string, dto: UpdateMeetingDto): Promise<MeetingDto> {
    const m = await this.dataSource.transaction(async (manager) => {
      const before = await this.lockForChange(manager, actor, id);
      if (before.version !== dto.version) {
        throw new AppException(
          HttpStatus.CONFLICT,
          ErrorCode.VersionConflict,
          `Meeting ${id} is at version ${before.version}, not ${dto.version}`,
          undefined,
          { currentVersion: before.version },
        );
      }
      if (dto.scheduledOn !== undefined && before.status === MeetingStatus.Held)
        refuseHeldAfterToday(
          dto.scheduledOn,
          `The meeting was held: its date cannot move to ${dto.scheduledOn}, after today`,
        );
      const changes: Partial<BranchMeeting> = {};
      if (dto.scheduledOn !== undefined) changes.scheduledOn = dto.scheduledOn;
      if (dto.place !== undefined) changes.place = dto.place;
      if (dto.agenda !== undefined) changes.agenda = dto.agenda;
      if (dto.minutes !== undefined) changes.minutes = dto.minutes;
      if (dto.decisions !== undefined) changes.decisions = dto.decisions;
      if (dto.outcome !== undefined) changes.outcome = dto.outcome;
      if (dto.presidingMemberId !== undefined) changes.presidingMemberId = dto.presidingMemberId;
      if (dto.secretaryMemberId !== undefined) changes.secretaryMemberId = dto.secretaryMemberId;
      const officers = [changes.presidingMemberId, changes.secretaryMemberId].filter(
        (x): x is string => typeof x === 'string',
      );
      if (officers.length > 0) {
        const invitees = new Set(
          (await this.invitees({ ...before, ...changes }, manager)).map((i) => i.id),
        );
        for (const [field, value] of [
          ['presidingMemberId', changes.presidingMemberId],
          ['secretaryMemberId', changes.secretaryMemberId],
        ] as const) {
          if (typeof value === 'string' && !invitees.has(value)) {
            throw AppException.badRequest(
              before.type === MeetingType.Structure
                ? `${field} must be an office bearer of the structure on the meeting date`
                : `${field} must be an Active or Grace Period member of ward ${before.wardCode} on the meeting date`,
              field,
              'notAMemberOfTheMeeting',
            );
          }
        }
      }
      if (Object.keys(changes).length === 0) return before;
      await manager.update(BranchMeeting, { id }, { ...changes, version: before.version + 1 });
      await this.audit.record(
        {
          action: 'branches.meeting_updated',
          entityType: 'branch_meeting',
          entityId: id,
          provinceCode: before.provinceCode,
          changes: diff(
            Object.fromEntries(
              Object.keys(changes).map((k) => [k, before[k as keyof BranchMeeting]]),
            ),
            changes,
          ),
        },
        manager,
      );
      return this.load(id, manager);
    });
    return meetingDto(m, await this.figures(m));
  }

  async changeStatus(
    actor: AuthUser,
    id: string,
    dto: ChangeMeetingStatusDto,
  ): Promise<MeetingDto> {
    const m = await this.dataSource.transaction(async (manager) => {
      const before = await this.lockForChange(manager, actor, id);
      const allowed =
        before.status === MeetingStatus.Scheduled || before.status === MeetingStatus.Postponed;
      if (!allowed || before.status === dto.status) {
        throw new AppException(
          HttpStatus.CONFLICT,
          ErrorCode.InvalidStatusTransition,
          `A ${before.status} meeting cannot become ${dto.status}`,
        );
      }
      if (dto.status === MeetingStatus.Held)
        refuseHeldAfterToday(
          before.scheduledOn,
          `The meeting is scheduled for ${before.scheduledOn}: it cannot be held before that day`,
        );
      const changes: Partial<BranchMeeting> = {
        status: dto.status,
        statusReason: dto.reason ?? null,
        version: before.version + 1,
      };
      if (dto.status === MeetingStatus.Held) {
        changes.heldRecordedBy = actor.id;
        changes.heldRecordedLevel = actor.scope.level;
        changes.heldRecordedAt = new Date();
      }
      await manager.update(BranchMeeting, { id }, changes);
      await this.audit.record(
        {
          action: `branches.meeting_${dto.status}`,
          entityType: 'branch_meeting',
          entityId: id,
          provinceCode: before.provinceCode,
          changes: diff({ status: before.status }, { status: dto.status, reason: dto.reason }),
        },
        manager,
      );
      return this.load(id, manager);
    });
    this.publish(m, dto.status);
    return meetingDto(m, await this.figures(m));
  }

  /** 409 MEETING_LOCKED once verified; 422 MEETING_NOT_ELIGIBLE when cancelled, postponed or in the future. */
  requireAttendanceOpen(meeting: BranchMeeting): void {
    const refusal = attendanceRefusal(meeting, todayInSouthAfrica());
    if (refusal?.kind === 'locked') throw locked(meeting);
    if (refusal) throw notEligible(refusal.detail);
  }

  /**
   * Records attendees by membership number in one transaction. Each number must be an invitee of the meeting
   * (a member of the ward, Active or Grace Period on the meeting date; or an office bearer of the structure),
   * not repeated and not already recorded. Any refusal: 422 ATTENDANCE_REJECTED listing every rejected number
   * with its reason, and nothing is written.
   */
  async recordAttendance(
    actor: AuthUser,
    id: string,
    numbers: readonly string[],
  ): Promise<AttendanceResultDto> {
    const m = await this.dataSource.transaction(async (manager) => {
      const meeting = await this.lockForChange(manager, actor, id);
      this.requireAttendanceOpen(meeting);
      const invitees = new Map(
        (await this.invitees(meeting, manager)).map((i) => [i.membershipNumber, i.id]),
      );
      const recorded = new Set(
        (await manager.find(MeetingAttendance, { where: { meetingId: id } })).map(
          (a) => a.memberId,
        ),
      );
      const known = new Map(
        (
          await this.standing.byMembershipNumbers(
            numbers.map((n) => n.trim()),
            manager,
          )
        ).map((p) => [p.membershipNumber, p.wardCode]),
      );
      const { accepted, rejected: refused } = judgeAttendance(meeting, numbers, {
        invitees,
        known,
        recorded,
      });
      const rejected = refused.map(({ membershipNumber, reason }) => ({
        membershipNumber,
        reason,
      }));
      if (rejected.length > 0) {
        throw new AppException(
          HttpStatus.UNPROCESSABLE_ENTITY,
          ErrorCode.AttendanceRejected,
          `${rejected.length} of ${numbers.length} membership numbers were rejected; nothing was recorded`,
          undefined,
          { rejected },
        );
      }
      await manager.insert(
        MeetingAttendance,
        accepted.map((a) => ({
          memberId: a.memberId,
          membershipNumber: a.membershipNumber,
          meetingId: id,
          recordedBy: actor.id,
        })),
      );
      await this.audit.record(
        {
          action: 'branches.attendance_recorded',
          entityType: 'branch_meeting',
          entityId: id,
          provinceCode: meeting.provinceCode,
          changes: { attendees: { from: recorded.size, to: recorded.size + accepted.length } },
        },
        manager,
      );
      return meeting;
    });
    return { recorded: numbers.length, figures: await this.figures(m) };
  }

  /**
   * Four eyes: a held meeting is verified by someone other than who recorded it as held, at a strictly higher
   * level (a national recorder: another national user). The figures are frozen and the meeting is locked.
   */
  async verify(actor: AuthUser, id: string): Promise<MeetingDto> {
    const m = await this.dataSource.transaction(async (manager) => {
      const meeting = await this.lockForChange(manager, actor, id);
      if (meeting.status !== MeetingStatus.Held) {
        throw notEligible(`Only a held meeting can be verified; this one is ${meeting.status}`);
      }
      if (meeting.heldRecordedBy === actor.id) {
        throw AppException.forbidden(
          'You recorded this meeting as held: another admin, of a higher level, must verify it',
        );
      }
      const recorder = (meeting.heldRecordedLevel ?? ScopeLevel.Ward) as ScopeLevel;
      const mine = SCOPE_DEPTH[actor.scope.level];
      const theirs = SCOPE_DEPTH[recorder] ?? SCOPE_DEPTH[ScopeLevel.Ward];
      const higher = mine < theirs || (mine === 0 && theirs === 0);
      if (!higher) {
        throw AppException.forbidden(
          `The meeting was recorded by a ${recorder}-level admin: an admin of a higher level must verify it`,
        );
      }
      const frozen = await this.computeFigures(meeting, manager);
      await manager.update(
        BranchMeeting,
        { id },
        {
          verifiedBy: actor.id,
          verifiedAt: new Date(),
          verifiedFigures: frozen,
          version: meeting.version + 1,
        },
      );
      await this.audit.record(
        {
          action: 'branches.meeting_verified',
          entityType: 'branch_meeting',
          entityId: id,
          provinceCode: meeting.provinceCode,
          changes: diff({}, { ...frozen }),
        },
        manager,
      );
      return this.load(id, manager);
    });
    this.publish(m, 'verified');
    return meetingDto(m, await this.figures(m));
  }

  private publish(
    m: BranchMeeting,
    change: 'scheduled' | 'held' | 'verified' | 'cancelled' | 'postponed',
  ): void {
    this.events.publish(
      domainEvent(DomainEventType.MeetingChanged, meetingArea(m), {
        meetingId: m.id,
        type: m.type,
        structureId: m.structureId,
        change,
      }),
    );
  }
}
