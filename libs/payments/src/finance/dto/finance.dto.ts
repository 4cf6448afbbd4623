import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ApiPropertyOptions } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  IsDateString,
  IsEnum,
  IsIn,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
} from 'class-validator';
import { ScopeLevel } from '@app/auth';
import { CursorQueryDto, PageOf } from '@app/core';
import { FileFormat } from '@app/files';
import { PaymentMethod, PaymentStatus } from '../../entities/payment.entity.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const upper = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim().toUpperCase() : value;

/** The area a finance view covers: your own area when left out; must lie inside it (else 404). */
export class FinanceAreaQueryDto {
  @ApiPropertyOptional({
    enum: ScopeLevel,
    enumName: 'ScopeLevel',
    description: 'With areaCode (not for national): the area to report on; default your own area',
  })
  @IsOptional()
  @IsEnum(ScopeLevel)
  areaLevel?: ScopeLevel;

  @ApiPropertyOptional({
    maxLength: 16,
    example: 'GP',
    description: 'Code of the area of areaLevel (a province, district, municipality or ward code)',
  })
  @IsOptional()
  @Transform(upper)
  @IsString()
  @MaxLength(16)
  @Matches(/^[A-Z0-9]+$/, { message: 'areaCode holds letters and digits only' })
  areaCode?: string;
}

export class FinanceAreaPageQueryDto extends CursorQueryDto {
  @ApiPropertyOptional({ enum: ScopeLevel, enumName: 'ScopeLevel' })
  @IsOptional()
  @IsEnum(ScopeLevel)
  areaLevel?: ScopeLevel;

  @ApiPropertyOptional({ maxLength: 16, example: 'GP' })
  @IsOptional()
  @Transform(upper)
  @IsString()
  @MaxLength(16)
  @Matches(/^[A-Z0-9]+$/, { message: 'areaCode holds letters and digits only' })
  areaCode?: string;
}

/** Pending payments: a keyset page, oldest first (the verification queue). */
export class PendingPaymentsQueryDto extends FinanceAreaPageQueryDto {}

export class PendingPaymentsExportQueryDto extends FinanceAreaQueryDto {
  @ApiPropertyOptional({ enum: FileFormat, enumName: 'FileFormat', default: FileFormat.Csv })
  @IsOptional()
  @IsEnum(FileFormat)
  format: FileFormat = FileFormat.Csv;
}

export const TOTALS_STATUSES = ['verified', 'pending', 'rejected', 'all'] as const;
export type TotalsStatus = (typeof TOTALS_STATUSES)[number];

export class PaymentTotalsQueryDto extends FinanceAreaQueryDto {
  @ApiPropertyOptional({
    format: 'date',
    description:
      'First paid-on date counted; default the first day of the month 11 months before to',
  })
  @IsOptional()
  @Matches(DATE, { message: 'from must be a date (YYYY-MM-DD)' })
  @IsDateString({ strict: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date', description: 'Last paid-on date counted; default today' })
  @IsOptional()
  @Matches(DATE, { message: 'to must be a date (YYYY-MM-DD)' })
  @IsDateString({ strict: true })
  to?: string;

  @ApiPropertyOptional({
    enum: TOTALS_STATUSES,
    enumName: 'PaymentTotalsStatus',
    default: 'verified',
    description: 'verified (default): money actually received; all: every status, one row each',
  })
  @IsOptional()
  @IsIn(TOTALS_STATUSES)
  status: TotalsStatus = 'verified';
}

export class PaymentTotalsExportQueryDto extends PaymentTotalsQueryDto {
  @ApiPropertyOptional({ enum: FileFormat, enumName: 'FileFormat', default: FileFormat.Csv })
  @IsOptional()
  @IsEnum(FileFormat)
  format: FileFormat = FileFormat.Csv;
}

export class PaymentTotalRowDto {
  @ApiProperty({ example: '2026-03', description: 'Month of the paid-on date (YYYY-MM)' })
  month!: string;

  @ApiProperty({ enum: PaymentMethod, enumName: 'PaymentMethod' })
  method!: PaymentMethod;

  @ApiProperty({ enum: PaymentStatus, enumName: 'PaymentStatus' })
  status!: PaymentStatus;

  @ApiProperty({ type: 'integer' })
  count!: number;

  @ApiProperty({ type: 'integer', description: 'Sum of the amounts in cents' })
  amountCents!: number;
}

export class PaymentTotalsDto {
  @ApiProperty({ enum: ScopeLevel, enumName: 'ScopeLevel' })
  areaLevel!: ScopeLevel;

  @ApiProperty({ type: String, nullable: true })
  areaCode!: string | null;

  @ApiProperty({ format: 'date' })
  from!: string;

  @ApiProperty({ format: 'date' })
  to!: string;

  @ApiProperty({
    type: [PaymentTotalRowDto],
    description:
      'One row per month, method and status with payments (months without any are left out), oldest month first. At most 36 months × 4 methods × 3 statuses: not paged.',
  })
  rows!: PaymentTotalRowDto[];
}

/**
 * Makes @nestjs/swagger write the named enum schema as integers (it writes `type: string` for any named enum
 * otherwise; its EnumSchemaAttributes type does not list `type`, though the schema factory spreads it in).
 */
const INTEGER_ENUM = { type: 'integer' } as unknown as Extract<
  ApiPropertyOptions,
  { enumName: string }
>['enumSchema'];

/** The forecast windows in days (a numeric enum, so OpenAPI names it with integer values). */
export enum RenewalForecastDays {
  Thirty = 30,
  Sixty = 60,
  Ninety = 90,
}
export const FORECAST_WINDOWS = [30, 60, 90] as const;
export type ForecastWindow = (typeof FORECAST_WINDOWS)[number];

export class RenewalForecastQueryDto extends FinanceAreaQueryDto {
  @ApiPropertyOptional({
    enum: RenewalForecastDays,
    enumName: 'RenewalForecastDays',
    enumSchema: INTEGER_ENUM,
    default: 30,
    description: 'Members whose membership expires from today up to this many days ahead',
  })
  @IsOptional()
  @Type(() => Number)
  @IsIn(FORECAST_WINDOWS)
  days: ForecastWindow = 30;
}

export class RenewalForecastMembersQueryDto extends FinanceAreaPageQueryDto {
  @ApiPropertyOptional({
    enum: RenewalForecastDays,
    enumName: 'RenewalForecastDays',
    enumSchema: INTEGER_ENUM,
    default: 30,
  })
  @IsOptional()
  @Type(() => Number)
  @IsIn(FORECAST_WINDOWS)
  days: ForecastWindow = 30;
}

export class RenewalForecastExportQueryDto extends RenewalForecastQueryDto {
  @ApiPropertyOptional({ enum: FileFormat, enumName: 'FileFormat', default: FileFormat.Csv })
  @IsOptional()
  @IsEnum(FileFormat)
  format: FileFormat = FileFormat.Csv;
}

export class ForecastAreaCountDto {
  @ApiProperty({ enum: ScopeLevel, enumName: 'ScopeLevel' })
  level!: ScopeLevel;

  @ApiProperty({ example: 'DC42' })
  code!: string;

  @ApiProperty({ type: 'integer' })
  count!: number;
}

export class RenewalForecastDto {
  @ApiProperty({ enum: ScopeLevel, enumName: 'ScopeLevel' })
  areaLevel!: ScopeLevel;

  @ApiProperty({ type: String, nullable: true })
  areaCode!: string | null;

  @ApiProperty({
    enum: RenewalForecastDays,
    enumName: 'RenewalForecastDays',
    enumSchema: INTEGER_ENUM,
  })
  days!: ForecastWindow;

  @ApiProperty({ format: 'date' })
  from!: string;

  @ApiProperty({ format: 'date' })
  to!: string;

  @ApiProperty({ type: 'integer', description: 'Members expiring in the window in the whole area' })
  total!: number;

  @ApiProperty({
    type: [ForecastAreaCountDto],
    description:
      'Per child area (provinces of the country, districts of a province, … the ward itself for a ward), those with members expiring only, by code',
  })
  areas!: ForecastAreaCountDto[];
}

/** A member due for renewal; minimised roles (auditors, finance officers) get no contact details. */
export class ForecastMemberDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  membershipNumber!: string;

  @ApiProperty()
  firstNames!: string;

  @ApiProperty()
  surname!: string;

  @ApiProperty()
  status!: string;

  @ApiProperty({ format: 'date' })
  expiresOn!: string;

  @ApiProperty({ type: String, format: 'date', nullable: true })
  lastPaidOn!: string | null;

  @ApiProperty()
  wardCode!: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'Left out for minimised roles; null when the member objected to contact',
  })
  cellNumber?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'Left out for minimised roles; null when the member objected to contact',
  })
  email?: string | null;

  @ApiPropertyOptional({ description: 'true when contact details were left out (minimised role)' })
  minimised?: boolean;
}

export const ForecastMemberPage = PageOf(ForecastMemberDto);
