import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, MaxLength, MinLength } from 'class-validator';

export class ForgotPasswordDto {
  @ApiProperty({ example: 'organiser@example.org', maxLength: 254 })
  @IsEmail()
  @MaxLength(254)
  email!: string;
}

export class ForgotPasswordAcceptedDto {
  @ApiProperty({
    example:
      'If an active account uses this address, a link to set a new password has been sent to it.',
  })
  message!: string;
}

export class ResetPasswordDto {
  @ApiProperty({ description: 'The token from the reset email', minLength: 20, maxLength: 200 })
  @IsString()
  @MinLength(20)
  @MaxLength(200)
  token!: string;

  @ApiProperty({ description: 'The new password (the password policy applies)', maxLength: 200 })
  @IsString()
  @MaxLength(200)
  newPassword!: string;
}
