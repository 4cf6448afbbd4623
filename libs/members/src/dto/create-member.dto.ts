import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsEmail,
  IsISO8601,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
} from 'class-validator';
import { IsSouthAfricanCellNumber, IsSouthAfricanIdNumber } from '../member-validators.js';
// Not @app/core: unit specs load this DTO without Nest (the index pulls in Nest's ESM-only packages).
import { AllowsMultilineText } from '../../../core/src/errors/multiline-text.js';

const trim = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim().replace(/\s+/g, ' ') : value;
const trimLower = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim().toLowerCase() : value;
const digitsOnly = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.replace(/[\s-]/g, '') : value;

/**
 * A new member's details as an admin (or an import row) gives them. Date of birth, gender and citizenship
 * are derived from the ID number, never typed in. Bulk import validates every row with this same class.
 */
export class CreateMemberDto {
  @ApiProperty({ example: '8001015009087', pattern: '^\\d{13}$' })
  @Transform(digitsOnly)
  @IsSouthAfricanIdNumber()
  idNumber!: string;

  @ApiProperty({ example: 'Thandiwe Naledi', maxLength: 100 })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  firstNames!: string;

  @ApiProperty({ example: 'Mokoena', maxLength: 100 })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  surname!: string;

  @ApiPropertyOptional({
    example: '0821234567',
    description: 'Stored in E.164 (+27821234567)',
    maxLength: 20,
  })
  @IsOptional()
  @IsString()
  @MaxLength(20)
  @IsSouthAfricanCellNumber()
  cellNumber?: string;

  @ApiPropertyOptional({ example: 'thandi@example.org', maxLength: 254 })
  @IsOptional()
  @Transform(trimLower)
  @IsEmail()
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({ example: '12 Vilakazi Street, Orlando West, Soweto', maxLength: 300 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(300)
  @AllowsMultilineText()
  residentialAddress?: string;

  @ApiProperty({ example: '79800001', pattern: '^\\d{8}$', description: 'Ward (branch) code' })
  @IsString()
  @Matches(/^\d{8}$/, { message: 'wardCode must be an 8-digit ward code' })
  wardCode!: string;

  @ApiPropertyOptional({
    example: '2024-03-01',
    format: 'date',
    description: 'Defaults to today; registers carry earlier dates',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'joinedOn must be a date (YYYY-MM-DD)' })
  joinedOn?: string;

  @ApiPropertyOptional({
    example: '2024-03-01',
    format: 'date',
    description:
      'Date of the last membership payment; the membership then runs the configured period from it. ' +
      'Defaults to joinedOn (a member with no payment date paid on joining), for a single create and an import alike',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'lastPaidOn must be a date (YYYY-MM-DD)' })
  lastPaidOn?: string;

  @ApiPropertyOptional({
    description: 'The member consented to the party processing their personal information (POPIA)',
    default: true,
  })
  @IsOptional()
  @IsBoolean()
  consentGiven?: boolean;
}
