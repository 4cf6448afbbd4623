import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEnum, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { CursorQueryDto } from '@app/core';
import {
  RegistrationConflictOutcome,
  RegistrationConflictSource,
  RegistrationConflictStatus,
} from '../../entities/registration-conflict.entity.js';

const trim = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim().replace(/\s+/g, ' ') : value;

/** A refused registration of someone who is a member elsewhere, as national admins see it. */
export class RegistrationConflictDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: RegistrationConflictStatus, enumName: 'RegistrationConflictStatus' })
  status!: RegistrationConflictStatus;

  @ApiProperty({ enum: RegistrationConflictSource, enumName: 'RegistrationConflictSource' })
  source!: RegistrationConflictSource;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'The existing member the ID number belongs to',
  })
  memberId!: string | null;

  @ApiProperty({ type: String, nullable: true })
  membershipNumber!: string | null;

  @ApiProperty({ type: String, nullable: true, description: "The existing member's ward" })
  memberWardCode!: string | null;

  @ApiProperty({ description: 'The ward the requester tried to register the person in' })
  wardCode!: string;

  @ApiProperty()
  municipalityCode!: string;

  @ApiProperty()
  districtCode!: string;

  @ApiProperty()
  provinceCode!: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  applicationId!: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  importId!: string | null;

  @ApiProperty({ type: Number, nullable: true, description: 'Row of the import file' })
  rowNumber!: number | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The refused user' })
  requestedBy!: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: Date;

  @ApiProperty({
    enum: RegistrationConflictOutcome,
    enumName: 'RegistrationConflictOutcome',
    nullable: true,
  })
  outcome!: RegistrationConflictOutcome | null;

  @ApiProperty({ type: String, nullable: true })
  note!: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  resolvedBy!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  resolvedAt!: Date | null;
}

export class ListRegistrationConflictsQueryDto extends CursorQueryDto {
  @ApiPropertyOptional({ enum: RegistrationConflictStatus, enumName: 'RegistrationConflictStatus' })
  @IsOptional()
  @IsEnum(RegistrationConflictStatus)
  status?: RegistrationConflictStatus;
}

export class ResolveRegistrationConflictDto {
  @ApiProperty({
    enum: RegistrationConflictOutcome,
    enumName: 'RegistrationConflictOutcome',
    description:
      'transferred: the member was moved (POST /members/{id}/transfer); dismissed: nothing to do',
  })
  @IsEnum(RegistrationConflictOutcome)
  outcome!: RegistrationConflictOutcome;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  note?: string;
}
