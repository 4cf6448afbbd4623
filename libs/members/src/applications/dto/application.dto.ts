import { ApiProperty, ApiPropertyOptional, IntersectionType, PickType } from '@nestjs/swagger';
import { AreaFilterDto } from '../../dto/area-filter.dto.js';
import { Transform } from 'class-transformer';
import { Equals, IsEnum, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { CursorQueryDto, AllowsMultilineText } from '@app/core';
import { CreateMemberDto } from '../../dto/create-member.dto.js';
import { MemberStatus } from '../../entities/member.entity.js';
import { ApplicationStatus } from '../../entities/membership-application.entity.js';
import { Citizenship, Gender } from '../../identity.js';

const trim = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim().replace(/\s+/g, ' ') : value;

/** The public application form: a member's own details (no admin-only fields) and POPIA consent. */
export class SubmitApplicationDto extends PickType(CreateMemberDto, [
  'idNumber',
  'firstNames',
  'surname',
  'cellNumber',
  'email',
  'residentialAddress',
  'wardCode',
] as const) {
  @ApiProperty({
    description:
      'The applicant consents to the party processing their personal information (POPIA); must be true',
  })
  @Equals(true, { message: 'consent must be true: we cannot process an application without it' })
  consent!: boolean;
}

/** The same neutral answer whatever happened to the ID number: no membership lookup for strangers. */
export class ApplicationReceivedDto {
  @ApiProperty({ enum: ['received'] })
  status!: 'received';

  @ApiProperty()
  message!: string;
}

export class DuplicateMemberDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  membershipNumber!: string;

  @ApiProperty({ enum: MemberStatus, enumName: 'MemberStatus' })
  status!: MemberStatus;

  @ApiProperty()
  wardCode!: string;
}

/** Shown to reviewers (applications:review) only. */
export class ApplicationDuplicatesDto {
  @ApiProperty({ type: DuplicateMemberDto, nullable: true, description: 'Only when in your area' })
  member!: DuplicateMemberDto | null;

  @ApiProperty({
    description:
      'A member with this ID number exists in your area (members elsewhere are never disclosed: approving answers 409 CANNOT_REGISTER_HERE)',
  })
  memberExists!: boolean;

  @ApiProperty({
    type: [String],
    description:
      'Other open (submitted or under review) applications with the same ID number in your area',
  })
  openApplicationIds!: string[];
}

export class ApplicationDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: ApplicationStatus, enumName: 'ApplicationStatus' })
  status!: ApplicationStatus;

  @ApiProperty()
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

  @ApiProperty({ type: String, nullable: true })
  cellNumber!: string | null;

  @ApiProperty({ type: String, nullable: true })
  email!: string | null;

  @ApiProperty({ type: String, nullable: true })
  residentialAddress!: string | null;

  @ApiProperty()
  wardCode!: string;

  @ApiProperty()
  municipalityCode!: string;

  @ApiProperty()
  districtCode!: string;

  @ApiProperty()
  provinceCode!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  consentGivenAt!: Date;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  submittedAt!: Date | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  reviewedBy!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  reviewedAt!: Date | null;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'Who gave the financial review (two-tier approval)',
  })
  financialReviewedBy!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  financialReviewedAt!: Date | null;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'The verified joining-fee payment the financial review confirmed',
  })
  financialReviewPaymentId!: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  decidedBy!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  decidedAt!: Date | null;

  @ApiProperty({ type: String, nullable: true })
  rejectionReason!: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  memberId!: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: Date;

  @ApiProperty()
  version!: number;

  @ApiPropertyOptional({ type: ApplicationDuplicatesDto })
  duplicates?: ApplicationDuplicatesDto;
}

export class ListApplicationsQueryDto extends IntersectionType(CursorQueryDto, AreaFilterDto) {
  @ApiPropertyOptional({ enum: ApplicationStatus, enumName: 'ApplicationStatus' })
  @IsOptional()
  @IsEnum(ApplicationStatus)
  status?: ApplicationStatus;
}

export class RejectApplicationDto {
  @ApiProperty({ maxLength: 500 })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  @AllowsMultilineText()
  reason!: string;
}
