import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsDateString,
  IsEnum,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import { AllowsMultilineText, CursorQueryDto, PageOf } from '@app/core';
import { PaymentMethod, PaymentStatus } from '../entities/payment.entity.js';

const trim = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim().replace(/\s+/g, ' ') : value;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** The largest payment accepted: R100,000. */
export const MAX_PAYMENT_CENTS = 10_000_000;

/** The manual methods an admin or finance officer records; card payments come only through the gateway. */
export const MANUAL_METHODS = [
  PaymentMethod.Cash,
  PaymentMethod.Eft,
  PaymentMethod.External,
] as const;
export type ManualPaymentMethod = (typeof MANUAL_METHODS)[number];

export class RecordPaymentDto {
  @ApiPropertyOptional({
    format: 'uuid',
    description:
      'The member whose membership this renews (exactly one of memberId and applicationId)',
  })
  @ValidateIf((o: RecordPaymentDto) => o.applicationId === undefined || o.memberId !== undefined)
  @IsUUID('all', { message: 'Give exactly one of memberId and applicationId' })
  memberId?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description:
      'The application whose joining fee this is (exactly one of memberId and applicationId)',
  })
  @ValidateIf((o: RecordPaymentDto) => o.memberId === undefined || o.applicationId !== undefined)
  @IsUUID('all', { message: 'Give exactly one of memberId and applicationId' })
  applicationId?: string;

  @ApiProperty({
    enum: MANUAL_METHODS,
    enumName: 'ManualPaymentMethod',
    description: 'cash, eft or external; card payments are made through POST /payments/checkouts',
  })
  @IsIn(MANUAL_METHODS)
  method!: ManualPaymentMethod;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_PAYMENT_CENTS,
    description: 'Amount in cents (R10 = 1000); defaults to MEMBERSHIP_FEE_CENTS',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_PAYMENT_CENTS)
  amountCents?: number;

  @ApiProperty({ format: 'date', description: 'Date of the payment; not in the future' })
  @Matches(DATE, { message: 'paidOn must be a date (YYYY-MM-DD)' })
  @IsDateString({ strict: true })
  paidOn!: string;

  @ApiProperty({
    maxLength: 64,
    description: 'Receipt number or bank reference; unique per method (a repeat is 409)',
  })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  @Matches(/^[\w ./:#-]+$/, {
    message: 'reference may hold letters, digits, spaces and . / : # - _',
  })
  reference!: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(500)
  note?: string;
}

export class RejectPaymentDto {
  @ApiProperty({ maxLength: 500 })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  @AllowsMultilineText()
  reason!: string;
}

export class CreateCheckoutDto {
  @ApiProperty({
    format: 'uuid',
    description: 'The member whose membership the card payment renews',
  })
  @IsUUID()
  memberId!: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_PAYMENT_CENTS,
    description: 'Defaults to MEMBERSHIP_FEE_CENTS',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_PAYMENT_CENTS)
  amountCents?: number;
}

export class ListPaymentsQueryDto extends CursorQueryDto {
  @ApiPropertyOptional({ enum: PaymentStatus, enumName: 'PaymentStatus' })
  @IsOptional()
  @IsEnum(PaymentStatus)
  status?: PaymentStatus;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  memberId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  applicationId?: string;
}

/** A payment as admins and finance officers of its area see it. */
export class PaymentDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  memberId!: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  applicationId!: string | null;

  @ApiProperty({ enum: PaymentMethod, enumName: 'PaymentMethod' })
  method!: PaymentMethod;

  @ApiProperty({
    example: 'eft',
    description: 'The method for manual payments; the gateway for card',
  })
  provider!: string;

  @ApiProperty()
  reference!: string;

  @ApiProperty({ type: String, nullable: true, description: "The gateway's transaction id" })
  providerPaymentId!: string | null;

  @ApiProperty({ type: 'integer' })
  amountCents!: number;

  @ApiProperty({ type: String, format: 'date', nullable: true })
  paidOn!: string | null;

  @ApiProperty({ enum: PaymentStatus, enumName: 'PaymentStatus' })
  status!: PaymentStatus;

  @ApiProperty({ type: String, nullable: true })
  rejectionReason!: string | null;

  @ApiProperty({ type: String, nullable: true })
  note!: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  recordedBy!: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  decidedBy!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'user',
    description: 'user (four eyes) or the gateway (payfast); null while pending',
  })
  decidedVia!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  decidedAt!: Date | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  renewalId!: string | null;

  @ApiProperty()
  wardCode!: string;

  @ApiProperty()
  municipalityCode!: string;

  @ApiProperty()
  districtCode!: string;

  @ApiProperty()
  provinceCode!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: Date;
}

export const PaymentPage = PageOf(PaymentDto);

/** What the browser posts to the gateway's hosted checkout: the process URL and the signed form fields. */
export class CheckoutDto {
  @ApiProperty({ type: PaymentDto })
  payment!: PaymentDto;

  @ApiProperty({ example: 'https://sandbox.payfast.co.za/eng/process' })
  processUrl!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    description:
      'Hidden form fields to POST (in this order) to processUrl, including signature. No card data ever passes through this API.',
  })
  fields!: Record<string, string>;
}
