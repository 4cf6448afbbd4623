import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsDateString,
  IsEnum,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
} from 'class-validator';
import { CursorQueryDto, AllowsMultilineText } from '@app/core';
import { MemberStatus } from '@app/members';
import { AppointmentFlag, AppointmentKind, EndReason, StructureKind } from '../leadership.enums.js';

const upper = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim().toUpperCase() : value;
const trim = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim() : value;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export class StructureQueryDto extends CursorQueryDto {
  @ApiPropertyOptional({ enum: StructureKind, enumName: 'StructureKind' })
  @IsOptional()
  @IsEnum(StructureKind)
  level?: StructureKind;

  @ApiPropertyOptional({
    description:
      'Area code of the structure (ward, municipality, district or province code; ZA nationally)',
    example: 'GT421',
  })
  @IsOptional()
  @Transform(upper)
  @IsString()
  @Matches(/^[A-Z0-9]{2,8}$/)
  code?: string;
}

export class StructureDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: StructureKind, enumName: 'StructureKind' })
  kind!: StructureKind;

  @ApiProperty({ example: 'GT421' })
  areaCode!: string;

  @ApiProperty({ example: 'Emfuleni Sub-Regional Command Team' })
  name!: string;

  @ApiProperty({ type: String, nullable: true })
  provinceCode!: string | null;

  @ApiProperty({ type: String, nullable: true })
  districtCode!: string | null;

  @ApiProperty({ type: String, nullable: true })
  municipalityCode!: string | null;

  @ApiProperty({ type: String, nullable: true })
  wardCode!: string | null;
}

export class PositionDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'chairperson' })
  code!: string;

  @ApiProperty({ example: 'Chairperson' })
  title!: string;

  @ApiProperty({ description: 'How many may hold it at once' })
  seats!: number;

  @ApiProperty({ description: 'At most one holder on any date (guaranteed by the database)' })
  singleHolder!: boolean;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Holders must be members of this province (War Council deployees)',
  })
  provinceCode!: string | null;
}

/** A holder as others see them: never the ID number or contact details. */
export class HolderDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'EFF20260000001' })
  membershipNumber!: string;

  @ApiProperty()
  firstNames!: string;

  @ApiProperty()
  surname!: string;

  @ApiProperty({ enum: MemberStatus, enumName: 'MemberStatus' })
  status!: MemberStatus;
}

export class AppointmentDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ type: StructureDto })
  structure!: StructureDto;

  @ApiProperty({ type: PositionDto })
  position!: PositionDto;

  @ApiProperty({ type: HolderDto })
  member!: HolderDto;

  @ApiProperty({ enum: AppointmentKind, enumName: 'AppointmentKind' })
  kind!: AppointmentKind;

  @ApiProperty({ format: 'date', example: '2026-01-15' })
  startsOn!: string;

  @ApiProperty({
    type: String,
    format: 'date',
    nullable: true,
    description:
      'Exclusive: the first day the member no longer holds the position; null while open',
  })
  endsOn!: string | null;

  @ApiProperty({ enum: EndReason, enumName: 'EndReason', nullable: true })
  endReason!: EndReason | null;

  @ApiProperty({ type: String, nullable: true, description: 'Note given when appointed' })
  note!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'Note given when ended' })
  endNote!: string | null;

  @ApiProperty({ description: 'Held today' })
  current!: boolean;

  @ApiProperty({
    enum: AppointmentFlag,
    enumName: 'AppointmentFlag',
    isArray: true,
    description: 'Problems with an open appointment, computed when read (empty when ended)',
  })
  flags!: AppointmentFlag[];

  @ApiProperty()
  createdAt!: Date;
}

export class SeatsDto {
  @ApiProperty({ type: PositionDto })
  position!: PositionDto;

  @ApiProperty({ type: [AppointmentDto], description: 'Current holders' })
  holders!: AppointmentDto[];

  @ApiProperty({ description: 'Seats nobody holds today' })
  vacantSeats!: number;
}

export class StructureDetailDto extends StructureDto {
  @ApiProperty({ type: [SeatsDto], description: 'Every position of the structure, in order' })
  positions!: SeatsDto[];

  @ApiProperty({ description: 'Vacant seats over all positions' })
  vacantSeats!: number;
}

export class HistoryQueryDto extends CursorQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only this position' })
  @IsOptional()
  @IsUUID()
  positionId?: string;
}

export class VacancyQueryDto extends StructureQueryDto {}

export class VacancyDto {
  @ApiProperty({ type: StructureDto })
  structure!: StructureDto;

  @ApiProperty({ type: PositionDto })
  position!: PositionDto;

  @ApiProperty({ description: 'Seats nobody holds today' })
  vacantSeats!: number;
}

export class CreateAppointmentDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  structureId!: string;

  @ApiProperty({ format: 'uuid', description: "A position of the structure's kind" })
  @IsUUID()
  positionId!: string;

  @ApiProperty({
    format: 'uuid',
    description: 'An Active member whose ward lies in the structure’s area',
  })
  @IsUUID()
  memberId!: string;

  @ApiProperty({ enum: AppointmentKind, enumName: 'AppointmentKind' })
  @IsEnum(AppointmentKind)
  kind!: AppointmentKind;

  @ApiPropertyOptional({ format: 'date', description: 'Defaults to today' })
  @IsOptional()
  @Matches(DATE, { message: 'startsOn must be a date (YYYY-MM-DD)' })
  @IsDateString({ strict: true })
  startsOn?: string;

  @ApiPropertyOptional({
    format: 'date',
    description: 'Exclusive end, e.g. of an acting appointment; open when absent',
  })
  @IsOptional()
  @Matches(DATE, { message: 'endsOn must be a date (YYYY-MM-DD)' })
  @IsDateString({ strict: true })
  endsOn?: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(500)
  @AllowsMultilineText()
  note?: string;
}

export class EndAppointmentDto {
  @ApiProperty({ enum: EndReason, enumName: 'EndReason' })
  @IsEnum(EndReason)
  reason!: EndReason;

  @ApiPropertyOptional({
    format: 'date',
    description: 'Exclusive: the first day the member no longer holds it. Defaults to today.',
  })
  @IsOptional()
  @Matches(DATE, { message: 'endsOn must be a date (YYYY-MM-DD)' })
  @IsDateString({ strict: true })
  endsOn?: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(500)
  @AllowsMultilineText()
  note?: string;
}
