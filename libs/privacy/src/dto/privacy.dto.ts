import { PaymentDto, ReceiptDto } from '@app/payments';
import { TransferRequestDto } from '@app/portal';
import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { AppointmentDto } from '@app/leadership';
import { ApplicationDto, MemberDto, MemberHistoryEntryDto } from '@app/members';
import { AllowsMultilineText } from '@app/core';

const trim = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim().replace(/\s+/g, ' ') : value;

export class RecordConsentDto {
  @ApiProperty({
    description:
      'true: the member consents to the party processing their personal information (sets consentGivenAt); false: consent withdrawn',
  })
  @IsBoolean()
  given!: boolean;
}

export class RecordObjectionDto {
  @ApiProperty({
    description:
      'true: the member objects to being contacted (sets contactObjectedAt; exports leave contact details out); false: objection withdrawn',
  })
  @IsBoolean()
  objects!: boolean;

  @ApiPropertyOptional({ maxLength: 500, description: "The member's reason, kept in the history" })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  @AllowsMultilineText()
  reason?: string;
}

/** The member record in a data export: every column, including the POPIA fields. */
export class MemberRecordDto extends MemberDto {
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  contactObjectedAt!: Date | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  anonymisedAt!: Date | null;
}

/** The POPIA state of a member: consent, objection to contact, erasure (a few columns of the member record). */
export class PrivacyStateDto extends PickType(MemberRecordDto, [
  'id',
  'membershipNumber',
  'consentGivenAt',
  'contactObjectedAt',
  'anonymisedAt',
] as const) {}

export class RenewalRecordDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'date' })
  paidOn!: string;

  @ApiProperty({ description: 'In cents (R10 = 1000)' })
  amountCents!: number;

  @ApiProperty()
  reference!: string;

  @ApiProperty({ type: String, format: 'date', nullable: true })
  previousExpiresOn!: string | null;

  @ApiProperty({ format: 'date' })
  expiresOn!: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  recordedBy!: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: Date;
}

export class TransferRecordDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  fromWardCode!: string;

  @ApiProperty()
  toWardCode!: string;

  @ApiProperty({ type: String, nullable: true })
  reason!: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  transferredBy!: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  transferredAt!: Date;
}

/**
 * A membership application with the member's ID number (or the one that created the member): the applications
 * module's ApplicationDto without the area codes, the review trail, the version and the duplicate check.
 */
export const APPLICATION_RECORD_FIELDS = [
  'id',
  'status',
  'idNumber',
  'firstNames',
  'surname',
  'dateOfBirth',
  'cellNumber',
  'email',
  'residentialAddress',
  'wardCode',
  'consentGivenAt',
  'submittedAt',
  'decidedAt',
  'rejectionReason',
  'memberId',
  'createdAt',
] as const;

export class ApplicationRecordDto extends PickType(ApplicationDto, APPLICATION_RECORD_FIELDS) {}

/** One audit event about the member: who did or saw what, when. */
export class AccessLogEntryDto {
  @ApiProperty({ type: String, format: 'date-time' })
  occurredAt!: Date;

  @ApiProperty({
    example: 'member.viewed',
    description:
      'e.g. member.viewed, member.data_exported, member.updated, members.exported (a bulk export that may have included the member)',
  })
  action!: string;

  @ApiProperty({
    example: 'member',
    description: 'member, membership_application, leadership_appointment',
  })
  entityType!: string;

  @ApiProperty({ type: String, nullable: true })
  entityId!: string | null;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'null: the system or the public',
  })
  actorUserId!: string | null;

  @ApiProperty({ type: String, nullable: true })
  actorName!: string | null;

  @ApiProperty({ type: String, nullable: true })
  actorEmail!: string | null;

  @ApiProperty({
    description:
      'true for a bulk export (members.exported) over an area containing the member: it may have included them',
  })
  bulk!: boolean;
}

/** Everything the party holds about one member (POPIA section 23 access request). */
export class MemberDataExportDto {
  @ApiProperty({ type: String, format: 'date-time' })
  generatedAt!: Date;

  @ApiProperty({ type: MemberRecordDto })
  member!: MemberRecordDto;

  @ApiProperty({ type: [MemberHistoryEntryDto], description: 'Oldest first' })
  history!: MemberHistoryEntryDto[];

  @ApiProperty({ type: [RenewalRecordDto], description: 'Oldest first' })
  renewals!: RenewalRecordDto[];

  @ApiProperty({ type: [TransferRecordDto], description: 'Oldest first' })
  transfers!: TransferRecordDto[];

  @ApiProperty({ type: [AppointmentDto], description: 'Leadership positions, current and past' })
  positions!: AppointmentDto[];

  @ApiProperty({ type: [ApplicationRecordDto] })
  applications!: ApplicationRecordDto[];

  @ApiProperty({
    type: [PaymentDto],
    description: "Payments of the member and of the member's applications, oldest first",
  })
  payments!: PaymentDto[];

  @ApiProperty({
    type: [TransferRequestDto],
    description: 'Transfer requests the member made in the portal, oldest first',
  })
  transferRequests!: TransferRequestDto[];

  @ApiProperty({
    type: [ReceiptDto],
    description:
      'Receipts of those payments: metadata only (SHA-256, size, type, file name); the files themselves are downloaded from GET /payments/{id}/receipt',
  })
  receipts!: ReceiptDto[];

  @ApiProperty({
    type: [AccessLogEntryDto],
    description: `Audit events about the member, its applications and appointments, newest first (at most ${1000})`,
  })
  accessLog!: AccessLogEntryDto[];
}

export class ErasureResultDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'EFF20240000001', description: 'Kept: leadership history shows it' })
  membershipNumber!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  anonymisedAt!: Date;

  @ApiProperty({
    description: 'Membership applications with the same ID number that were anonymised too',
  })
  applications!: number;
}
