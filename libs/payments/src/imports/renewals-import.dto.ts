import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { Allow, IsBoolean, IsOptional, IsString, Matches } from 'class-validator';

const toBool = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  return value;
};

/** The multipart form of a renewals import: the file, the ward it declares, and dryRun. */
export class RenewalsImportUploadDto {
  @ApiProperty({
    type: 'string',
    format: 'binary',
    description:
      'CSV (UTF-8) or XLSX with ID Number, Amount (rands, e.g. 10.00), Paid On (YYYY-MM-DD), Reference, Method (cash | eft | external)',
  })
  @Allow()
  file?: unknown;

  @ApiProperty({
    description:
      'The ward the file is for: every row’s member must be in it, and it must be inside your area',
    example: '79700001',
  })
  @IsString()
  @Matches(/^\d{8}$/, { message: 'wardCode must be an 8-digit ward code' })
  wardCode!: string;

  @ApiPropertyOptional({
    default: false,
    description: 'Check and count only; no payment is recorded',
  })
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  dryRun: boolean = false;
}
