import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { Role } from '../roles.js';
import { ScopeLevel } from '../scope.js';

const trimLower = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim().toLowerCase() : value;

export class LoginDto {
  @ApiProperty({ example: 'admin@example.org', maxLength: 254 })
  @Transform(trimLower)
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @ApiProperty({ format: 'password', maxLength: 256 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  password!: string;
}

export class RefreshDto {
  @ApiProperty({ description: 'The refresh token from login or the previous refresh (single use)' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  refreshToken!: string;
}

export class ChangePasswordDto {
  @ApiProperty({ format: 'password', maxLength: 256 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  currentPassword!: string;

  @ApiProperty({
    format: 'password',
    minLength: 12,
    maxLength: 128,
    description: 'At least 12 characters, not a common password',
  })
  @IsString()
  @MaxLength(256)
  newPassword!: string;
}

export class AuthenticatedUserDto {
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

  @ApiProperty({ type: String, nullable: true, example: 'GP' })
  scopeCode!: string | null;

  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true })
  memberId!: string | null;
}

export class TokenPairDto {
  @ApiProperty({ description: 'JWT, send as Authorization: Bearer <token>' })
  accessToken!: string;

  @ApiProperty({ description: 'Opaque, single use: exchange at /auth/refresh for a new pair' })
  refreshToken!: string;

  @ApiProperty({ description: 'Access token lifetime in seconds', example: 900 })
  expiresIn!: number;

  @ApiProperty({ example: 'Bearer' })
  tokenType!: 'Bearer';

  @ApiProperty({
    description:
      'True after an administrator reset the password: this session may only call POST /auth/change-password ' +
      '(with the reset password as currentPassword) and POST /auth/logout; every other route answers 403 ' +
      'PASSWORD_CHANGE_REQUIRED. The change ends the session; sign in again with the new password.',
    example: false,
  })
  passwordChangeRequired!: boolean;
}

export class LoginResponseDto extends TokenPairDto {
  @ApiProperty({ type: AuthenticatedUserDto })
  user!: AuthenticatedUserDto;
}

export class SessionDto {
  @ApiProperty({ description: 'The session id, for DELETE /auth/sessions/{id}' })
  id!: string;

  @ApiProperty({ format: 'date-time', description: 'When the session signed in' })
  createdAt!: string;

  @ApiProperty({
    format: 'date-time',
    description: 'When the session last refreshed its tokens (sign-in until then)',
  })
  lastUsedAt!: string;

  @ApiProperty({ format: 'date-time', description: 'When the refresh token runs out unless used' })
  expiresAt!: string;

  @ApiProperty({ type: String, nullable: true, description: 'Client address at sign-in' })
  address!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'User agent at sign-in' })
  userAgent!: string | null;

  @ApiProperty({ description: 'Whether this is the session making the request' })
  current!: boolean;
}
