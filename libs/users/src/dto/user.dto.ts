import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsEmail,
  IsEnum,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import { Role, ScopeLevel } from '@app/auth';
import { CursorQueryDto } from '@app/core';

const trim = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim() : value;
const trimLower = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim().toLowerCase() : value;
const upper = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim().toUpperCase() : value;

export class CreateUserDto {
  @ApiProperty({ example: 'organiser@example.org', maxLength: 254 })
  @Transform(trimLower)
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @ApiProperty({ example: 'Thandi Mokoena', maxLength: 120 })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(120)
  name!: string;

  @ApiProperty({ format: 'password', minLength: 12, maxLength: 128 })
  @IsString()
  @MaxLength(256)
  password!: string;

  @ApiProperty({ enum: Role, enumName: 'Role' })
  @IsEnum(Role)
  role!: Role;

  @ApiProperty({ enum: ScopeLevel, enumName: 'ScopeLevel' })
  @IsEnum(ScopeLevel)
  scopeLevel!: ScopeLevel;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'GP',
    description: 'Area code; null for national',
  })
  @IsOptional()
  @Transform(upper)
  @IsString()
  @Matches(/^[A-Z0-9]{2,8}$/)
  scopeCode?: string | null;

  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true })
  @IsOptional()
  @IsUUID()
  memberId?: string | null;
}

export class UpdateUserDto {
  @ApiPropertyOptional({ maxLength: 120 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(120)
  name?: string;

  @ApiPropertyOptional({ enum: Role, enumName: 'Role' })
  @IsOptional()
  @IsEnum(Role)
  role?: Role;

  @ApiPropertyOptional({ enum: ScopeLevel, enumName: 'ScopeLevel' })
  @IsOptional()
  @IsEnum(ScopeLevel)
  scopeLevel?: ScopeLevel;

  @ApiPropertyOptional({ type: String, nullable: true })
  @IsOptional()
  @Transform(upper)
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  @Matches(/^[A-Z0-9]{2,8}$/)
  scopeCode?: string | null;

  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsUUID()
  memberId?: string | null;

  @ApiPropertyOptional({
    description: 'The version you read; a stale one gets 409 VERSION_CONFLICT',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  version?: number;
}

export class ListUsersQueryDto extends CursorQueryDto {
  @ApiPropertyOptional({ description: 'Email or name contains', maxLength: 100 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(100)
  q?: string;

  @ApiPropertyOptional({ enum: Role, enumName: 'Role' })
  @IsOptional()
  @IsEnum(Role)
  role?: Role;

  @ApiPropertyOptional({ enum: ScopeLevel, enumName: 'ScopeLevel' })
  @IsOptional()
  @IsEnum(ScopeLevel)
  scopeLevel?: ScopeLevel;

  @ApiPropertyOptional()
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    value === 'true' ? true : value === 'false' ? false : value,
  )
  @IsBoolean()
  active?: boolean;
}

export class UserDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  email!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ enum: Role, enumName: 'Role' })
  role!: Role;

  @ApiProperty({ enum: ScopeLevel, enumName: 'ScopeLevel' })
  scopeLevel!: ScopeLevel;

  @ApiProperty({ type: String, nullable: true })
  scopeCode!: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  memberId!: string | null;

  @ApiProperty()
  active!: boolean;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lockedUntil!: Date | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastLoginAt!: Date | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: Date;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt!: Date;

  @ApiProperty()
  version!: number;
}

export class ResetPasswordResponseDto {
  @ApiProperty({
    description:
      'A new random password, shown once; every session of the user has ended. It is one-time: signing in with ' +
      'it gives a session that may only change it (passwordChangeRequired).',
  })
  temporaryPassword!: string;

  @ApiProperty({
    description: 'Always true: the next sign-in must change the password',
    example: true,
  })
  passwordChangeRequired!: boolean;
}

export class UpdateProfileDto {
  @ApiProperty({ example: 'Thandi Mokoena', maxLength: 120 })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(120)
  name!: string;
}
