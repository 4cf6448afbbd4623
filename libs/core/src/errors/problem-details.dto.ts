import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ErrorCode } from './error-code.js';

export class FieldErrorDto {
  @ApiProperty({ description: 'Dotted path of the offending field', example: 'address.postalCode' })
  field!: string;

  @ApiProperty({ description: 'Machine-readable reason', example: 'isNotEmpty' })
  code!: string;

  @ApiProperty({ example: 'postalCode should not be empty' })
  message!: string;
}

/** RFC 9457 problem details: the body of every error answered by the API. */
export class ProblemDetailsDto {
  @ApiProperty({ example: 'urn:eff:problem:validation-failed' })
  type!: string;

  @ApiProperty({ example: 'The request is not valid' })
  title!: string;

  @ApiProperty({ example: 400 })
  status!: number;

  @ApiProperty({ example: 'surname must be shorter than or equal to 100 characters' })
  detail!: string;

  @ApiProperty({ enum: ErrorCode, enumName: 'ErrorCode' })
  code!: ErrorCode;

  @ApiPropertyOptional({ description: 'Path of the request', example: '/api/v1/members' })
  instance?: string;

  @ApiPropertyOptional({ description: 'Request id, also sent as X-Request-Id' })
  requestId?: string;

  @ApiPropertyOptional({ type: [FieldErrorDto] })
  errors?: FieldErrorDto[];
}
