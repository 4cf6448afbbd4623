import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { AreaFilterDto } from './area-filter.dto.js';
import { Transform, Type } from 'class-transformer';
import {
  ArrayNotEmpty,
  IsDateString,
  IsEmail,
  IsEnum,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { CursorQueryDto, AllowsMultilineText } from '@app/core';
import { MemberHistoryKind } from '../entities/member-history.entity.js';
import { MemberStatus } from '../entities/member.entity.js';
import { Citizenship, Gender } from '../identity.js';
import { IsSouthAfricanCellNumber } from '../member-validators.js';

const trim = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim().replace(/\s+/g, ' ') : value;
const trimLower = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim().toLowerCase() : value;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A member as admins and auditors inside the member's area see it. */
export class MemberDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'EFF20240000001' })
  membershipNumber!: string;

  @ApiProperty({ example: '8001015009087' })
  idNumber!: string;

  @ApiProperty()
  firstNames!: string;

  @ApiProperty()
  surname!: string;

  @ApiProperty({ format: 'date' })
  dateOfBirth!: string;

  @ApiProperty({ enum: Gender, enumName: 'Gender' })
  gender!: Gender;

  @ApiProperty({ enum: Citizenship, enumName: 'Citizenship' })
  citizenship!: Citizenship;

  @ApiProperty({ type: String, nullable: true, example: '+27821234567' })
  cellNumber!: string | null;

  @ApiProperty({ type: String, nullable: true })
  email!: string | null;

  @ApiProperty({ type: String, nullable: true })
  residentialAddress!: string | null;

  @ApiProperty({ example: '79800001' })
  wardCode!: string;

  @ApiProperty({ example: 'JHB' })
  municipalityCode!: string;

  @ApiProperty({ example: 'JHB' })
  districtCode!: string;

  @ApiProperty({ example: 'GP' })
  provinceCode!: string;

  @ApiProperty({ enum: MemberStatus, enumName: 'MemberStatus' })
  status!: MemberStatus;

  @ApiProperty({ format: 'date' })
  joinedOn!: string;

  @ApiProperty({ type: String, format: 'date', nullable: true })
  lastPaidOn!: string | null;

  @ApiProperty({ type: String, format: 'date', nullable: true })
  expiresOn!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  consentGivenAt!: Date | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: Date;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt!: Date;

  @ApiProperty({ description: 'Send it back with PATCH (optimistic locking)' })
  version!: number;
}

export enum MemberSort {
  Surname = 'surname',
  SurnameDesc = '-surname',
  JoinedOn = 'joinedOn',
  JoinedOnDesc = '-joinedOn',
}

/** `a,b` and a repeated parameter (`?status=a&status=b`) both become `['a', 'b']`. */
const commaSeparatedList = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' || Array.isArray(value)
    ? [value]
        .flat()
        .flatMap((item: unknown) =>
          typeof item === 'string' ? item.split(',').map((part) => part.trim()) : [item],
        )
        .filter((item) => item !== '')
    : value;

/**
 * The filters of the member list, which the export takes as well (memberFilterConditions turns them into SQL).
 * Filters narrow the caller's own area; a filter outside it (a GP admin asking for provinceCode=LP) gives no
 * members, never other areas' members.
 */
export class MemberFiltersDto extends AreaFilterDto {
  @ApiPropertyOptional({
    description:
      'Name (contains, case-insensitive, 3+ characters), a 13-digit ID number, a membership number (EFF…) or a cell number',
    minLength: 3,
    maxLength: 100,
  })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MinLength(3)
  @MaxLength(100)
  q?: string;

  @ApiPropertyOptional({
    enum: MemberStatus,
    enumName: 'MemberStatus',
    isArray: true,
    description: 'One status, or several separated by commas',
  })
  @IsOptional()
  @Transform(commaSeparatedList)
  @ArrayNotEmpty({ message: 'status must name at least one status' })
  @IsEnum(MemberStatus, { each: true })
  status?: MemberStatus[];

  @ApiPropertyOptional({ format: 'date' })
  @IsOptional()
  @Matches(DATE, { message: 'expiresFrom must be a date (YYYY-MM-DD)' })
  @IsDateString({ strict: true })
  expiresFrom?: string;

  @ApiPropertyOptional({ format: 'date' })
  @IsOptional()
  @Matches(DATE, { message: 'expiresTo must be a date (YYYY-MM-DD)' })
  @IsDateString({ strict: true })
  expiresTo?: string;

  @ApiPropertyOptional({ format: 'date' })
  @IsOptional()
  @Matches(DATE, { message: 'joinedFrom must be a date (YYYY-MM-DD)' })
  @IsDateString({ strict: true })
  joinedFrom?: string;

  @ApiPropertyOptional({ format: 'date' })
  @IsOptional()
  @Matches(DATE, { message: 'joinedTo must be a date (YYYY-MM-DD)' })
  @IsDateString({ strict: true })
  joinedTo?: string;
}

export class ListMembersQueryDto extends IntersectionType(CursorQueryDto, MemberFiltersDto) {
  @ApiPropertyOptional({ enum: MemberSort, enumName: 'MemberSort', default: MemberSort.Surname })
  @IsOptional()
  @IsEnum(MemberSort)
  sort: MemberSort = MemberSort.Surname;
}

/** What PATCH may change. Identity comes from the ID number; the ward changes only by transfer. */
export class UpdateMemberDto {
  @ApiProperty({ description: 'The version you read; a stale one gets 409 VERSION_CONFLICT' })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  version!: number;

  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  firstNames?: string;

  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  surname?: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 20 })
  @ValidateIf((_o, v) => v !== null && v !== undefined)
  @IsString()
  @MaxLength(20)
  @IsSouthAfricanCellNumber()
  cellNumber?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 254 })
  @ValidateIf((_o, v) => v !== null && v !== undefined)
  @Transform(trimLower)
  @IsEmail()
  @MaxLength(254)
  email?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 300 })
  @ValidateIf((_o, v) => v !== null && v !== undefined)
  @Transform(trim)
  @IsString()
  @MaxLength(300)
  @AllowsMultilineText()
  residentialAddress?: string | null;
}

export enum MemberStatusAction {
  Suspend = 'suspend',
  Cancel = 'cancel',
  Reinstate = 'reinstate',
  Deceased = 'deceased',
}

export class ChangeMemberStatusDto {
  @ApiProperty({ enum: MemberStatusAction, enumName: 'MemberStatusAction' })
  @IsEnum(MemberStatusAction)
  action!: MemberStatusAction;

  @ApiProperty({ maxLength: 500 })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  @AllowsMultilineText()
  reason!: string;
}

export class RenewMembershipDto {
  @ApiProperty({ format: 'date', description: 'Date of the payment; not in the future' })
  @Matches(DATE, { message: 'paidOn must be a date (YYYY-MM-DD)' })
  @IsDateString({ strict: true })
  paidOn!: string;

  @ApiPropertyOptional({
    description: 'Amount paid in cents (R10 = 1000); defaults to MEMBERSHIP_FEE_CENTS',
    minimum: 0,
    maximum: 10_000_000,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  amountCents?: number;

  @ApiProperty({ description: 'Payment reference, unique across all renewals', maxLength: 64 })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  reference!: string;

  @ApiProperty({
    description:
      'Why this renewal is recorded by hand instead of through a verified payment (audited, shown in the history)',
    maxLength: 500,
  })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  reason!: string;
}

export class TransferMemberDto {
  @ApiProperty({ example: '79800002', description: 'Destination ward (branch) code' })
  @IsString()
  @Matches(/^\d{8}$/, { message: 'toWardCode must be an 8-digit ward code' })
  toWardCode!: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(500)
  @AllowsMultilineText()
  reason?: string;
}

export class MemberHistoryEntryDto {
  @ApiProperty({ description: 'Increasing; newer entries have larger ids' })
  id!: string;

  @ApiProperty({ enum: MemberHistoryKind, enumName: 'MemberHistoryKind' })
  kind!: MemberHistoryKind;

  @ApiProperty({ enum: MemberStatus, enumName: 'MemberStatus', nullable: true })
  fromStatus!: MemberStatus | null;

  @ApiProperty({ enum: MemberStatus, enumName: 'MemberStatus', nullable: true })
  toStatus!: MemberStatus | null;

  @ApiProperty({ type: String, nullable: true })
  reason!: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'Masked field changes, renewal or transfer details',
  })
  details!: Record<string, unknown> | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'null: the system' })
  actorUserId!: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: Date;
}

export class MemberHistoryQueryDto extends CursorQueryDto {
  @ApiPropertyOptional({ enum: ['asc', 'desc'], enumName: 'SortOrder', default: 'desc' })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  order: 'asc' | 'desc' = 'desc';
}

export class StatusRecalculationResultDto {
  @ApiProperty({ description: 'false when another process was already running it' })
  ran!: boolean;

  @ApiProperty({ format: 'date' })
  asOf!: string;

  @ApiProperty()
  toGracePeriod!: number;

  @ApiProperty()
  toExpired!: number;
}
