import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsEnum,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { AllowsMultilineText, CursorQueryDto } from '@app/core';
import { AssemblyType, CriterionState, MeetingStatus, MeetingType } from '../branches.enums.js';

const upper = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim().toUpperCase() : value;
const trim = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim() : value;
const bool = ({ value }: { value: unknown }): unknown =>
  value === 'true' ? true : value === 'false' ? false : value;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const WARD = /^\d{8}$/;

// --- meetings ---

export class CreateMeetingDto {
  @ApiProperty({ enum: MeetingType, enumName: 'MeetingType' })
  @IsEnum(MeetingType)
  type!: MeetingType;

  @ApiPropertyOptional({ description: 'The ward (BGA and BPA only)', example: '74201001' })
  @IsOptional()
  @IsString()
  @Matches(WARD, { message: 'wardCode must be an 8-digit ward code' })
  wardCode?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'The command structure (type structure only)',
  })
  @IsOptional()
  @IsUUID()
  structureId?: string;

  @ApiProperty({ example: '2026-03-14', description: 'Date of the meeting (YYYY-MM-DD)' })
  @Matches(DATE, { message: 'scheduledOn must be a date (YYYY-MM-DD)' })
  scheduledOn!: string;

  @ApiProperty({ example: 'Sebokeng community hall' })
  @Transform(trim)
  @IsString()
  @MinLength(2)
  @MaxLength(300)
  place!: string;

  @ApiPropertyOptional({ description: 'Agenda as text' })
  @IsOptional()
  @IsString()
  @MaxLength(20000)
  @AllowsMultilineText()
  agenda?: string;
}

export class UpdateMeetingDto {
  @ApiProperty({ description: 'The version you read (optimistic locking)' })
  @IsInt()
  @Min(1)
  version!: number;

  @ApiPropertyOptional({ example: '2026-03-21' })
  @IsOptional()
  @Matches(DATE, { message: 'scheduledOn must be a date (YYYY-MM-DD)' })
  scheduledOn?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MinLength(2)
  @MaxLength(300)
  place?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    nullable: true,
    type: String,
    description: 'Presiding officer: a member of the ward (or an office bearer of the structure)',
  })
  @IsOptional()
  @IsUUID()
  presidingMemberId?: string | null;

  @ApiPropertyOptional({
    format: 'uuid',
    nullable: true,
    type: String,
    description: 'Secretary: a member of the ward (or an office bearer of the structure)',
  })
  @IsOptional()
  @IsUUID()
  secretaryMemberId?: string | null;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(20000)
  @AllowsMultilineText()
  agenda?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(50000)
  @AllowsMultilineText()
  minutes?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(20000)
  @AllowsMultilineText()
  decisions?: string;

  @ApiPropertyOptional({ example: 'Successful; branch executive elected' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  @AllowsMultilineText()
  outcome?: string;
}

export class ChangeMeetingStatusDto {
  @ApiProperty({
    enum: [MeetingStatus.Held, MeetingStatus.Cancelled, MeetingStatus.Postponed],
    enumName: 'MeetingStatusChange',
  })
  @IsIn([MeetingStatus.Held, MeetingStatus.Cancelled, MeetingStatus.Postponed])
  status!: MeetingStatus.Held | MeetingStatus.Cancelled | MeetingStatus.Postponed;

  @ApiPropertyOptional({ description: 'Why (cancelled, postponed)' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  @AllowsMultilineText()
  reason?: string;
}

export class MeetingQueryDto extends CursorQueryDto {
  @ApiPropertyOptional({ example: '74201001' })
  @IsOptional()
  @Matches(WARD)
  wardCode?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  structureId?: string;

  @ApiPropertyOptional({ enum: MeetingType, enumName: 'MeetingType' })
  @IsOptional()
  @IsEnum(MeetingType)
  type?: MeetingType;

  @ApiPropertyOptional({ enum: MeetingStatus, enumName: 'MeetingStatus' })
  @IsOptional()
  @IsEnum(MeetingStatus)
  status?: MeetingStatus;
}

export class MeetingFiguresDto {
  @ApiProperty({
    description:
      'Invited: Active and Grace Period members of the ward on the meeting date (a structure: its office bearers)',
  })
  invited!: number;

  @ApiProperty({ description: 'Members in good standing (Active) of the ward on the meeting date' })
  inGoodStanding!: number;

  @ApiProperty({ description: 'floor(inGoodStanding / 2) + 1' })
  quorum!: number;

  @ApiProperty()
  attendees!: number;

  @ApiProperty({
    description: 'Attendees in good standing on the meeting date: these count for the quorum',
  })
  attendeesInGoodStanding!: number;

  @ApiProperty()
  quorumMet!: boolean;

  @ApiProperty({ description: 'True when frozen at verification, false when computed now' })
  frozen!: boolean;
}

export class MeetingDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: MeetingType, enumName: 'MeetingType' })
  type!: MeetingType;

  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  structureId!: string | null;

  @ApiProperty({ type: String, nullable: true })
  structureKind!: string | null;

  @ApiProperty({ type: String, nullable: true })
  wardCode!: string | null;

  @ApiProperty({ type: String, nullable: true })
  municipalityCode!: string | null;

  @ApiProperty({ type: String, nullable: true })
  districtCode!: string | null;

  @ApiProperty({ type: String, nullable: true })
  provinceCode!: string | null;

  @ApiProperty({ example: '2026-03-14' })
  scheduledOn!: string;

  @ApiProperty()
  place!: string;

  @ApiProperty({ enum: MeetingStatus, enumName: 'MeetingStatus' })
  status!: MeetingStatus;

  @ApiProperty({ type: String, nullable: true })
  statusReason!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  presidingMemberId!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  secretaryMemberId!: string | null;

  @ApiProperty({ type: String, nullable: true })
  agenda!: string | null;

  @ApiProperty({ type: String, nullable: true })
  minutes!: string | null;

  @ApiProperty({ type: String, nullable: true })
  decisions!: string | null;

  @ApiProperty({ type: String, nullable: true })
  outcome!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  heldRecordedBy!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  verifiedBy!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  verifiedAt!: string | null;

  @ApiProperty({ description: 'True once verified: nothing may change (409 MEETING_LOCKED)' })
  locked!: boolean;

  @ApiProperty()
  version!: number;

  @ApiPropertyOptional({
    type: MeetingFiguresDto,
    description: 'Only on GET /meetings/{id} and changes',
  })
  figures?: MeetingFiguresDto;
}

export class InviteeDto {
  @ApiProperty({ format: 'uuid' })
  memberId!: string;

  @ApiProperty()
  membershipNumber!: string;

  @ApiProperty()
  firstNames!: string;

  @ApiProperty()
  surname!: string;

  @ApiProperty({ description: "The member's status on the meeting date", example: 'active' })
  statusOnDate!: string;
}

export class AttendanceDto {
  @ApiProperty({
    type: [String],
    description: 'Membership numbers (1 to 2000); all are recorded in one transaction, or none',
    example: ['EFF0001234'],
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(2000)
  @IsString({ each: true })
  @MaxLength(20, { each: true })
  membershipNumbers!: string[];
}

export class AttendeeDto extends InviteeDto {
  @ApiProperty({ description: 'Counts for the quorum (in good standing on the meeting date)' })
  inGoodStanding!: boolean;
}

export class AttendanceResultDto {
  @ApiProperty({ description: 'Attendees recorded by this request' })
  recorded!: number;

  @ApiProperty({ type: MeetingFiguresDto })
  figures!: MeetingFiguresDto;
}

export class RegisterQueryDto {
  @ApiPropertyOptional({
    enum: ['csv', 'xlsx', 'pdf'],
    enumName: 'RegisterFormat',
    default: 'xlsx',
  })
  @IsOptional()
  @IsIn(['csv', 'xlsx', 'pdf'])
  format: 'csv' | 'xlsx' | 'pdf' = 'xlsx';
}

// --- ward audit ---

export class CriterionDto {
  @ApiProperty({ example: 'active_members' })
  key!: string;

  @ApiProperty({ enum: CriterionState, enumName: 'CriterionState' })
  state!: CriterionState;

  @ApiProperty({ description: 'What the criterion asks' })
  description!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'The figures it was judged on',
  })
  figures!: Record<string, unknown>;
}

export class ApprovalDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid', type: String, nullable: true })
  approvedBy!: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  approvedAt!: string;

  @ApiProperty({ description: 'Approved although not every criterion passed' })
  exception!: boolean;

  @ApiProperty({ type: String, nullable: true })
  reason!: string | null;

  @ApiProperty({ description: 'Whether the criteria all passed when approved' })
  compliantWhenApproved!: boolean;
}

export class WardComplianceDto {
  @ApiProperty({ example: '74201001' })
  wardCode!: string;

  @ApiProperty()
  municipalityCode!: string;

  @ApiProperty()
  districtCode!: string;

  @ApiProperty()
  provinceCode!: string;

  @ApiProperty({ description: 'Every evaluated criterion passed' })
  compliant!: boolean;

  @ApiProperty({ type: [CriterionDto] })
  criteria!: CriterionDto[];

  @ApiProperty({ type: ApprovalDto, nullable: true, description: 'The latest approval' })
  approval!: ApprovalDto | null;

  @ApiProperty({ type: String, format: 'date-time' })
  evaluatedAt!: string;
}

export class ApproveComplianceDto {
  @ApiPropertyOptional({
    description: 'Approve although a criterion failed (needs a reason)',
    default: false,
  })
  @IsOptional()
  @IsBoolean()
  exception?: boolean;

  @ApiPropertyOptional({ description: 'Why (required with an exception)' })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MinLength(5)
  @MaxLength(1000)
  @AllowsMultilineText()
  reason?: string;
}

export class AuditRecordDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: ['evaluation', 'approval'], enumName: 'WardAuditRecordKind' })
  kind!: string;

  @ApiProperty()
  compliant!: boolean;

  @ApiProperty()
  exception!: boolean;

  @ApiProperty({ type: String, nullable: true })
  reason!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  actorUserId!: string | null;

  @ApiProperty({ type: [CriterionDto] })
  criteria!: CriterionDto[];

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: string;
}

export class WardAuditQueryDto extends CursorQueryDto {
  @ApiPropertyOptional({
    enum: ['province', 'district', 'municipality'],
    enumName: 'WardAuditAreaLevel',
    description: 'Area level (with code); default: your own area',
  })
  @IsOptional()
  @IsIn(['province', 'district', 'municipality'])
  level?: 'province' | 'district' | 'municipality';

  @ApiPropertyOptional({ example: 'GT421' })
  @IsOptional()
  @Transform(upper)
  @IsString()
  @Matches(/^[A-Z0-9]{2,8}$/)
  code?: string;

  @ApiPropertyOptional({ description: 'Only wards with (true) or without (false) an approval' })
  @IsOptional()
  @Transform(bool)
  @IsBoolean()
  approved?: boolean;

  @ApiPropertyOptional({
    description:
      'Only compliant (true) or non-compliant (false) wards; a page may then hold fewer rows',
  })
  @IsOptional()
  @Transform(bool)
  @IsBoolean()
  compliant?: boolean;
}

export class WardAuditExportQueryDto {
  @ApiPropertyOptional({
    enum: ['province', 'district', 'municipality'],
    enumName: 'WardAuditAreaLevel',
  })
  @IsOptional()
  @IsIn(['province', 'district', 'municipality'])
  level?: 'province' | 'district' | 'municipality';

  @ApiPropertyOptional({ example: 'GT421' })
  @IsOptional()
  @Transform(upper)
  @IsString()
  @Matches(/^[A-Z0-9]{2,8}$/)
  code?: string;

  @ApiPropertyOptional({ enum: ['csv', 'xlsx', 'pdf'], enumName: 'ReportFormat', default: 'csv' })
  @IsOptional()
  @IsIn(['csv', 'xlsx', 'pdf'])
  format: 'csv' | 'xlsx' | 'pdf' = 'csv';
}

// --- delegates ---

export class SelectDelegateDto {
  @ApiProperty({ enum: AssemblyType, enumName: 'AssemblyType' })
  @IsEnum(AssemblyType)
  assembly!: AssemblyType;

  @ApiProperty({ format: 'uuid', description: 'A member of the ward, Active' })
  @IsUUID()
  memberId!: string;

  @ApiProperty({
    format: 'uuid',
    description: 'The verified, quorate BGA of the ward that selected them',
  })
  @IsUUID()
  meetingId!: string;
}

export class ReplaceDelegateDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  memberId!: string;

  @ApiProperty({ format: 'uuid', description: 'The verified, quorate BGA of the ward' })
  @IsUUID()
  meetingId!: string;

  @ApiProperty({ example: 'Resigned from the branch' })
  @Transform(trim)
  @IsString()
  @MinLength(3)
  @MaxLength(500)
  @AllowsMultilineText()
  reason!: string;
}

export class DelegateDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: AssemblyType, enumName: 'AssemblyType' })
  assembly!: AssemblyType;

  @ApiProperty({ format: 'uuid' })
  memberId!: string;

  @ApiProperty()
  membershipNumber!: string;

  @ApiProperty()
  firstNames!: string;

  @ApiProperty()
  surname!: string;

  @ApiProperty({ format: 'uuid' })
  meetingId!: string;

  @ApiProperty()
  wardCode!: string;

  @ApiProperty()
  municipalityCode!: string;

  @ApiProperty()
  districtCode!: string;

  @ApiProperty()
  provinceCode!: string;

  @ApiProperty()
  active!: boolean;

  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  replacesId!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  replacedById!: string | null;

  @ApiProperty({ type: String, nullable: true })
  replacementReason!: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  selectedAt!: string;
}

/** The filters of the delegate list and its export. */
export class DelegateFiltersDto {
  @ApiPropertyOptional({ enum: AssemblyType, enumName: 'AssemblyType' })
  @IsOptional()
  @IsEnum(AssemblyType)
  assembly?: AssemblyType;

  @ApiPropertyOptional({
    enum: ['province', 'district', 'municipality', 'ward'],
    enumName: 'DelegateAreaLevel',
  })
  @IsOptional()
  @IsIn(['province', 'district', 'municipality', 'ward'])
  level?: 'province' | 'district' | 'municipality' | 'ward';

  @ApiPropertyOptional({ example: 'GT421' })
  @IsOptional()
  @Transform(upper)
  @IsString()
  @Matches(/^[A-Z0-9]{2,8}$/)
  code?: string;
}

export class DelegateQueryDto extends IntersectionType(CursorQueryDto, DelegateFiltersDto) {
  @ApiPropertyOptional({ description: 'Include replaced delegates (history)', default: false })
  @IsOptional()
  @Transform(bool)
  @IsBoolean()
  history?: boolean;
}

export class DelegateExportQueryDto extends DelegateFiltersDto {
  @ApiPropertyOptional({ enum: ['csv', 'xlsx'], enumName: 'FileFormat', default: 'csv' })
  @IsOptional()
  @IsIn(['csv', 'xlsx'])
  format: 'csv' | 'xlsx' = 'csv';
}

export class SetDelegateLimitDto {
  @ApiProperty({
    enum: ['national', 'province', 'district', 'municipality', 'ward'],
    enumName: 'DelegateLimitLevel',
  })
  @IsIn(['national', 'province', 'district', 'municipality', 'ward'])
  level!: 'national' | 'province' | 'district' | 'municipality' | 'ward';

  @ApiPropertyOptional({ description: 'Area code (not for national)', example: 'GP' })
  @IsOptional()
  @Transform(upper)
  @IsString()
  @Matches(/^[A-Z0-9]{2,8}$/)
  code?: string;

  @ApiProperty({ enum: AssemblyType, enumName: 'AssemblyType' })
  @IsEnum(AssemblyType)
  assembly!: AssemblyType;

  @ApiProperty({ minimum: 0, maximum: 100, example: 3 })
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(100)
  maxPerWard!: number;
}

export class DelegateLimitDto {
  @ApiProperty()
  level!: string;

  @ApiProperty()
  code!: string;

  @ApiProperty({ enum: AssemblyType, enumName: 'AssemblyType' })
  assembly!: AssemblyType;

  @ApiProperty()
  maxPerWard!: number;
}
