import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { Allow, IsBoolean, IsOptional } from 'class-validator';

const toBool = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  return value;
};

/** The multipart form of an attendance register import. */
export class AttendanceImportUploadDto {
  @ApiProperty({
    type: 'string',
    format: 'binary',
    description:
      'The register: CSV (UTF-8) or XLSX with a Membership Number column; other columns (names …) are ignored',
  })
  @Allow()
  file?: unknown;

  @ApiPropertyOptional({
    default: false,
    description: 'Check and count only; no attendance is recorded',
  })
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  dryRun: boolean = false;
}
