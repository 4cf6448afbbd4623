import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEnum, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { AllowsMultilineText, CursorQueryDto, PageOf } from '@app/core';
import { MemberStatus } from '@app/members';
import { TransferRequestStatus } from '../transfer-request.entity.js';

const trim = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim() : value;

export class CreateTransferRequestDto {
  @ApiProperty({ example: '79800002', description: 'The ward (branch) you want to move to' })
  @IsString()
  @Matches(/^\d{8}$/, { message: 'toWardCode must be an 8-digit ward code' })
  toWardCode!: string;

  @ApiProperty({ maxLength: 500, description: 'Why you move (e.g. moved house)' })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  @AllowsMultilineText()
  reason!: string;
}

export class ApproveTransferRequestDto {
  @ApiPropertyOptional({
    maxLength: 500,
    description: 'A note kept with the decision and the transfer',
  })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(500)
  @AllowsMultilineText()
  reason?: string;
}

export class RejectTransferRequestDto {
  @ApiProperty({ maxLength: 500, description: 'Why the request is rejected (the member reads it)' })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  @AllowsMultilineText()
  reason!: string;
}

export enum TransferRequestDirection {
  /** Requests to move INTO a ward of your area: the ones you may decide. */
  Incoming = 'incoming',
  /** Requests of members of your area to move out of it: read only. */
  Outgoing = 'outgoing',
}

export class ListTransferRequestsQueryDto extends CursorQueryDto {
  @ApiPropertyOptional({ enum: TransferRequestStatus, enumName: 'TransferRequestStatus' })
  @IsOptional()
  @IsEnum(TransferRequestStatus)
  status?: TransferRequestStatus;

  @ApiPropertyOptional({
    enum: TransferRequestDirection,
    enumName: 'TransferRequestDirection',
    description:
      'incoming: destination in your area; outgoing: source in your area; both when absent',
  })
  @IsOptional()
  @IsEnum(TransferRequestDirection)
  direction?: TransferRequestDirection;
}

/** Who asked: enough to decide, nothing more (no ID number, contact details or address). */
export class TransferRequestMemberDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  membershipNumber!: string;

  @ApiProperty()
  firstNames!: string;

  @ApiProperty()
  surname!: string;

  @ApiProperty({ enum: MemberStatus, enumName: 'MemberStatus' })
  status!: MemberStatus;
}

export class TransferRequestDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  memberId!: string;

  @ApiProperty({ enum: TransferRequestStatus, enumName: 'TransferRequestStatus' })
  status!: TransferRequestStatus;

  @ApiProperty()
  reason!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    description: "The decider's note; why it was rejected",
  })
  decisionReason!: string | null;

  @ApiProperty({ example: '74201001' })
  fromWardCode!: string;

  @ApiProperty({ example: 'GP' })
  fromProvinceCode!: string;

  @ApiProperty({ example: '79800002', description: 'Destination ward' })
  toWardCode!: string;

  @ApiProperty({ example: 'GT421' })
  toMunicipalityCode!: string;

  @ApiProperty({ example: 'DC42' })
  toDistrictCode!: string;

  @ApiProperty({ example: 'GP' })
  toProvinceCode!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  decidedAt!: Date | null;

  @ApiProperty()
  createdAt!: Date;
}

/** A request as an administrator sees it: with who asked, and whether the caller may decide it. */
export class AdminTransferRequestDto extends TransferRequestDto {
  @ApiProperty({ type: TransferRequestMemberDto })
  member!: TransferRequestMemberDto;

  @ApiProperty({ format: 'uuid', nullable: true, type: String })
  decidedBy!: string | null;

  @ApiProperty({
    description:
      "Whether the destination ward lies in your area (only its admins decide; the source area's admins read)",
  })
  canDecide!: boolean;
}

export const AdminTransferRequestPage = PageOf(AdminTransferRequestDto);
