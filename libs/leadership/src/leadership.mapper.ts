import { MemberStatus, MemberSummary } from '@app/members';
import {
  AppointmentDto,
  HolderDto,
  PositionDto,
  StructureDto,
  VacancyDto,
} from './dto/leadership.dto.js';
import { LeadershipAppointment } from './entities/leadership-appointment.entity.js';
import { LeadershipPosition } from './entities/leadership-position.entity.js';
import { LeadershipStructure } from './entities/leadership-structure.entity.js';
import { AppointmentFlag, StructureKind } from './leadership.enums.js';
import { memberInsideArea } from './leadership.policy.js';

export type LoadedAppointment = LeadershipAppointment & {
  structure: LeadershipStructure;
  position: LeadershipPosition;
  member: MemberSummary;
};

export function structureDto(s: LeadershipStructure): StructureDto {
  return {
    id: s.id,
    kind: s.kind,
    areaCode: s.areaCode,
    name: s.name,
    provinceCode: s.provinceCode,
    districtCode: s.districtCode,
    municipalityCode: s.municipalityCode,
    wardCode: s.wardCode,
  };
}

export function positionDto(p: LeadershipPosition): PositionDto {
  return {
    id: p.id,
    code: p.code,
    title: p.title,
    seats: p.seats,
    singleHolder: p.seats === 1,
    provinceCode: p.provinceCode,
  };
}

function holderDto(m: MemberSummary): HolderDto {
  return {
    id: m.id,
    membershipNumber: m.membershipNumber,
    firstNames: m.firstNames,
    surname: m.surname,
    status: m.status,
  };
}

export function holderName(
  m: Pick<MemberSummary, 'firstNames' | 'surname' | 'membershipNumber'>,
): string {
  return `${m.firstNames} ${m.surname} (${m.membershipNumber})`;
}

function isOpen(a: Pick<LeadershipAppointment, 'endsOn'>, today: string): boolean {
  return a.endsOn === null || a.endsOn > today;
}

function isCurrent(a: Pick<LeadershipAppointment, 'startsOn' | 'endsOn'>, today: string): boolean {
  return a.startsOn <= today && isOpen(a, today);
}

/** Flags of an open appointment, from the member as they are now. */
function flagsOf(a: LoadedAppointment, today: string): AppointmentFlag[] {
  if (!isOpen(a, today)) return [];
  const flags: AppointmentFlag[] = [];
  if (a.member.status !== MemberStatus.Active) flags.push(AppointmentFlag.MemberNotActive);
  if (!memberInsideArea(a.structure, a.position, a.member))
    flags.push(AppointmentFlag.MemberOutsideArea);
  return flags;
}

export function appointmentDto(a: LoadedAppointment, today: string): AppointmentDto {
  return {
    id: a.id,
    structure: structureDto(a.structure),
    position: positionDto(a.position),
    member: holderDto(a.member),
    kind: a.kind,
    startsOn: a.startsOn,
    endsOn: a.endsOn,
    endReason: a.endReason,
    note: a.note,
    endNote: a.endNote,
    current: isCurrent(a, today),
    flags: flagsOf(a, today),
    createdAt: a.createdAt,
  };
}

export interface VacancyRow {
  s_id: string;
  s_kind: StructureKind;
  s_area_code: string;
  s_name: string;
  s_province_code: string | null;
  s_district_code: string | null;
  s_municipality_code: string | null;
  s_ward_code: string | null;
  p_id: string;
  p_code: string;
  p_title: string;
  p_rank: number;
  p_seats: number;
  p_province_code: string | null;
  filled: string | number;
}

/** A row of the vacancies query as VacancyDto. */
export function vacancyDto(r: VacancyRow): VacancyDto {
  return {
    structure: {
      id: r.s_id,
      kind: r.s_kind,
      areaCode: r.s_area_code,
      name: r.s_name,
      provinceCode: r.s_province_code,
      districtCode: r.s_district_code,
      municipalityCode: r.s_municipality_code,
      wardCode: r.s_ward_code,
    },
    position: {
      id: r.p_id,
      code: r.p_code,
      title: r.p_title,
      seats: r.p_seats,
      singleHolder: r.p_seats === 1,
      provinceCode: r.p_province_code,
    },
    vacantSeats: r.p_seats - Number(r.filled),
  };
}
