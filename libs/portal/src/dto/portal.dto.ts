import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  IsEmail,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import { AllowsMultilineText } from '@app/core';
import { WardDetailDto } from '@app/geography';
import { AppointmentKind, EndReason, PositionDto, StructureDto } from '@app/leadership';
import { IsSouthAfricanCellNumber, MemberDto } from '@app/members';

const trim = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim() : value;
const trimLower = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim().toLowerCase() : value;

export class StartClaimDto {
  @ApiProperty({ description: 'South African ID number (13 digits)', example: '9001015009087' })
  @Transform(trim)
  @Matches(/^\d{13}$/, { message: 'idNumber must be 13 digits' })
  idNumber!: string;

  @ApiProperty({ description: 'Membership number as on the membership record', maxLength: 20 })
  @Transform(trim)
  @IsString()
  @Matches(/^[A-Za-z0-9-]{1,20}$/, { message: 'membershipNumber is not a membership number' })
  membershipNumber!: string;
}

export class ClaimAcceptedDto {
  @ApiProperty({
    example:
      'If these details match a membership without an account, a one-time code has been sent to the cell number or email on record.',
  })
  message!: string;
}

export class CompleteClaimDto extends StartClaimDto {
  @ApiProperty({ description: 'The 6-digit one-time code that was sent', example: '042917' })
  @Transform(trim)
  @Matches(/^\d{6}$/, { message: 'code must be 6 digits' })
  code!: string;

  @ApiPropertyOptional({
    description:
      'The email to sign in with; defaults to the email on the membership record (400 when there is none)',
    maxLength: 254,
  })
  @IsOptional()
  @Transform(trimLower)
  @IsEmail()
  @MaxLength(254)
  email?: string;

  @ApiProperty({ description: 'The password to set (the password policy applies)', maxLength: 200 })
  @IsString()
  @MaxLength(200)
  newPassword!: string;
}

export class ClaimCompletedDto {
  @ApiProperty({ description: 'The email to sign in with' })
  email!: string;
}

export class MyRenewalDto {
  @ApiProperty({ format: 'date' })
  paidOn!: string;

  @ApiProperty()
  amountCents!: number;

  @ApiProperty({ format: 'date', nullable: true, type: String })
  previousExpiresOn!: string | null;

  @ApiProperty({ format: 'date' })
  expiresOn!: string;
}

/** One of my leadership positions (current or past): the structure and position, no one else's data. */
export class MyPositionDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ type: StructureDto })
  structure!: StructureDto;

  @ApiProperty({ type: PositionDto })
  position!: PositionDto;

  @ApiProperty({ enum: AppointmentKind, enumName: 'AppointmentKind' })
  kind!: AppointmentKind;

  @ApiProperty({ format: 'date' })
  startsOn!: string;

  @ApiProperty({
    type: String,
    format: 'date',
    nullable: true,
    description: 'Exclusive: the first day you no longer hold it; null while open',
  })
  endsOn!: string | null;

  @ApiProperty({ enum: EndReason, enumName: 'EndReason', nullable: true })
  endReason!: EndReason | null;

  @ApiProperty({ description: 'Held today' })
  current!: boolean;
}

export class MyMembershipDto {
  @ApiProperty({ type: MemberDto, description: 'Your membership record' })
  member!: MemberDto;

  @ApiProperty({
    type: WardDetailDto,
    description: 'Your ward and its municipality, district, province',
  })
  ward!: WardDetailDto;

  @ApiProperty({ type: [MyRenewalDto], description: 'Your renewals, oldest first' })
  renewals!: MyRenewalDto[];

  @ApiProperty({
    type: [MyPositionDto],
    description: 'Your leadership positions, current and past, newest first',
  })
  positions!: MyPositionDto[];
}

export class RenewalIntentDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  amountCents!: number;

  @ApiProperty()
  createdAt!: Date;
}

/** 202 when card payments are not configured: the intent is recorded and the branch takes the payment. */
export class RenewalIntentAcceptedDto {
  @ApiProperty({ type: RenewalIntentDto })
  intent!: RenewalIntentDto;

  @ApiProperty({
    example:
      'Card payments are not available. Your renewal request is recorded: pay the fee at your branch (cash) or by EFT; staff record the payment and your membership is renewed once a second official verifies it.',
  })
  message!: string;
}

export class UpdateMyContactDto {
  @ApiProperty({ description: 'The version you read; a stale one gets 409 VERSION_CONFLICT' })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  version!: number;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 20,
    description: 'South African cell number; stored as E.164',
  })
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
