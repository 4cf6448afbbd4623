import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { Allow, IsBoolean, IsEnum, IsOptional } from 'class-validator';
import { ImportMode } from '@app/files';

const toBool = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  return value;
};

/** The multipart form of an import: the file and its options. */
export class ImportUploadDto {
  @ApiProperty({
    type: 'string',
    format: 'binary',
    description: 'The register: CSV (UTF-8) or XLSX',
  })
  @Allow()
  file?: unknown;

  @ApiPropertyOptional({
    enum: ImportMode,
    enumName: 'MemberImportMode',
    default: ImportMode.Create,
    description:
      'create: an existing ID number is a duplicate; upsert: update that member (inside your area)',
  })
  @IsOptional()
  @IsEnum(ImportMode)
  mode: ImportMode = ImportMode.Create;

  @ApiPropertyOptional({
    default: false,
    description: 'Validate and count only; no member is written',
  })
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  dryRun: boolean = false;
}
