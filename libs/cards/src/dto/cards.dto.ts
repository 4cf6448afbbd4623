import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, Matches, MaxLength, MinLength } from 'class-validator';

const trim = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim() : value;

export enum CardVerificationResult {
  Valid = 'valid',
  Expired = 'expired',
  Revoked = 'revoked',
  Unknown = 'unknown',
}

export class VerifyCardQueryDto {
  @ApiProperty({
    description:
      "The token from the card's QR code (a compact JWS). Anything that is not a genuine, current card answers `unknown`; only a missing or oversized parameter is a 400.",
    maxLength: 2048,
  })
  @IsString()
  @MinLength(1)
  @MaxLength(2048)
  token!: string;
}

export class CardVerificationDto {
  @ApiProperty({
    enum: CardVerificationResult,
    enumName: 'CardVerificationResult',
    description:
      '`valid`: a genuine card of a member who is Active or in Grace Period now; `expired`: genuine, but its validity (expiry as of issue plus the grace period) has passed or the membership lapsed; `revoked`: the member was suspended, cancelled, transferred, or an admin revoked the card; `unknown`: not a card this API issued (forged, tampered, truncated, unknown or retired key).',
  })
  result!: CardVerificationResult;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'TN',
    description: 'Initials of the first names (valid or expired only, else null)',
  })
  initials!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'M',
    description: 'First letter of the surname',
  })
  surnameInitial!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'Ward 1, Emfuleni',
    description: 'The ward on the card',
  })
  wardName!: string | null;

  @ApiProperty({
    type: String,
    format: 'date',
    nullable: true,
    description: 'The membership expiry printed on the card (as of issue)',
  })
  expiresOn!: string | null;
}

export class CardJwkDto {
  @ApiProperty({ enum: ['OKP'] })
  kty!: 'OKP';

  @ApiProperty({ enum: ['Ed25519'] })
  crv!: 'Ed25519';

  @ApiProperty({ description: 'The public key (base64url)' })
  x!: string;

  @ApiProperty({ description: 'Key id, as in the token header' })
  kid!: string;

  @ApiProperty({ enum: ['EdDSA'] })
  alg!: 'EdDSA';

  @ApiProperty({ enum: ['sig'] })
  use!: 'sig';
}

export class CardJwksDto {
  @ApiProperty({ type: [CardJwkDto] })
  keys!: CardJwkDto[];
}

export class RevokeCardDto {
  @ApiProperty({
    description: 'Why the cards are revoked (kept with the card and in the audit log)',
    minLength: 3,
    maxLength: 300,
  })
  @Transform(trim)
  @IsString()
  @MinLength(3)
  @MaxLength(300)
  reason!: string;
}

export class CardsRevokedDto {
  @ApiProperty({ description: "How many of the member's cards were valid and are now revoked" })
  revoked!: number;
}

export class WardCodeParamDto {
  @ApiProperty({ description: 'Ward code (8 digits)', example: '74201001' })
  @Matches(/^\d{8}$/, { message: 'code must be an 8-digit ward code' })
  code!: string;
}
