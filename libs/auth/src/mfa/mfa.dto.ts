import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export class MfaStatusDto {
  @ApiProperty({ description: 'Whether TOTP is active: sign-in then asks for a code' })
  enabled!: boolean;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  enabledAt!: string | null;

  @ApiProperty({ description: 'An enrolment was started and awaits its first code' })
  pending!: boolean;

  @ApiProperty({ description: 'Whether your role must use TOTP (every role except member)' })
  required!: boolean;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description:
      'When your role must have enrolled by (first sign-in + MFA_ENROLMENT_GRACE_DAYS); null when not required or already enrolled',
  })
  enrolmentDeadline!: string | null;

  @ApiProperty({ description: 'Unused recovery codes left', example: 10 })
  recoveryCodesRemaining!: number;
}

export class MfaEnrolmentDto {
  @ApiProperty({
    description:
      'The base32 TOTP secret, shown this once (for manual entry in an authenticator app)',
    example: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
  })
  secret!: string;

  @ApiProperty({
    description: 'The otpauth:// URI of the secret (what the QR code encodes)',
    example:
      'otpauth://totp/EFF%20Membership:admin%40example.org?secret=...&issuer=EFF%20Membership',
  })
  otpauthUri!: string;

  @ApiProperty({ description: 'The QR code as a PNG data URL (data:image/png;base64,...)' })
  qrCodePng!: string;

  @ApiProperty({ description: 'The QR code as an SVG document' })
  qrCodeSvg!: string;
}

export class ConfirmMfaDto {
  @ApiProperty({
    description: 'The current 6-digit code from the authenticator',
    example: '123456',
  })
  @IsString()
  @Matches(/^[0-9]{6}$/, { message: 'code must be 6 digits' })
  code!: string;
}

export class MfaRecoveryCodesDto {
  @ApiProperty({
    type: [String],
    description:
      'Ten single-use recovery codes, shown this once (only their keyed hash is stored). Each signs in once in place of a TOTP code.',
    example: ['K7QP-3MZX-W9RD'],
  })
  recoveryCodes!: string[];
}

export class MfaChallengeDto {
  @ApiProperty({
    enum: [true],
    description:
      'TOTP is active on the account: no tokens yet; answer the challenge at POST /auth/mfa/verify',
  })
  mfaRequired!: true;

  @ApiProperty({ description: 'Single-use token of this sign-in attempt, valid 5 minutes' })
  challengeToken!: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt!: string;
}

export class VerifyMfaDto {
  @ApiProperty({ description: 'The challengeToken from POST /auth/login' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  challengeToken!: string;

  @ApiPropertyOptional({
    description: 'The current 6-digit TOTP code (or give recoveryCode)',
    example: '123456',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[0-9]{6}$/, { message: 'code must be 6 digits' })
  code?: string;

  @ApiPropertyOptional({
    description: 'One unused recovery code (or give code)',
    example: 'K7QP-3MZX-W9RD',
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(40)
  recoveryCode?: string;
}
