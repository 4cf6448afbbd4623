import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEnum, IsOptional } from 'class-validator';
import { CursorQueryDto } from '@app/core';
import { FileFormat } from '../file-format.js';
import { ImportFormat, ImportJob, ImportMode, ImportStatus } from './import-job.entity.js';

/** The DTOs every import kind's routes share: the job as answered, its list query, and a file format choice. */

export class FileFormatQueryDto {
  @ApiPropertyOptional({ enum: FileFormat, enumName: 'FileFormat', default: FileFormat.Csv })
  @IsOptional()
  @IsEnum(FileFormat)
  format: FileFormat = FileFormat.Csv;
}

export class ListImportsQueryDto extends CursorQueryDto {}

export class ImportJobDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: ImportStatus, enumName: 'MemberImportStatus' })
  status!: ImportStatus;

  @ApiProperty({ enum: ImportMode, enumName: 'MemberImportMode' })
  mode!: ImportMode;

  @ApiProperty({
    description:
      'A dry run validated and counted; inserted/updated say what a real run would write',
  })
  dryRun!: boolean;

  @ApiProperty()
  fileName!: string;

  @ApiProperty({ enum: ImportFormat, enumName: 'FileFormat' })
  format!: ImportFormat;

  @ApiProperty({
    description: 'sha256 of the file: the same file uploaded again (same scope) is this job',
  })
  fileSha256!: string;

  @ApiProperty()
  fileSize!: number;

  @ApiProperty({ format: 'uuid' })
  uploadedBy!: string;

  @ApiProperty({ description: 'Data rows processed so far' })
  totalRows!: number;

  @ApiProperty({
    description: 'Rows that passed validation and were (or in a dry run would be) written',
  })
  validRows!: number;

  @ApiProperty()
  insertedRows!: number;

  @ApiProperty()
  updatedRows!: number;

  @ApiProperty({ description: 'Rows not written, duplicates included; see the report' })
  rejectedRows!: number;

  @ApiProperty({ description: 'Of the rejected rows, those rejected as duplicates' })
  duplicateRows!: number;

  @ApiProperty({ description: 'Every row up to this file row number (header = 1) is committed' })
  committedThroughRow!: number;

  @ApiProperty({ type: String, nullable: true })
  error!: string | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    description:
      'While queued: the place in the import queue (1 starts next, when a run slot is free); otherwise null',
  })
  queuePosition!: number | null;

  @ApiProperty({ type: [String], description: 'Header cells that matched no field' })
  ignoredColumns!: string[];

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  startedAt!: Date | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  finishedAt!: Date | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: Date;
}

export function toImportJobDto(job: ImportJob, queuePosition: number | null = null): ImportJobDto {
  return {
    id: job.id,
    status: job.status,
    mode: job.mode,
    dryRun: job.dryRun,
    fileName: job.fileName,
    format: job.format,
    fileSha256: job.fileSha256,
    fileSize: job.fileSize,
    uploadedBy: job.uploadedBy,
    totalRows: job.totalRows,
    validRows: job.validRows,
    insertedRows: job.insertedRows,
    updatedRows: job.updatedRows,
    rejectedRows: job.rejectedRows,
    duplicateRows: job.duplicateRows,
    committedThroughRow: job.committedThroughRow,
    error: job.error,
    queuePosition: job.status === ImportStatus.Queued ? queuePosition : null,
    ignoredColumns: job.ignoredColumns,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    createdAt: job.createdAt,
  };
}
