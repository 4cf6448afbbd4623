import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { FileFormat } from '../file-format.js';

import { ImportMode, ImportStatus } from './import-enums.js';

export { ImportMode, ImportStatus };

/** An import's file format: the shared spreadsheet formats. */
export const ImportFormat = FileFormat;
export type ImportFormat = FileFormat;

/**
 * One uploaded file of some row kind (`kind`: members, renewals, attendance …) with the kind's job options
 * (`parameters`: a declared ward, a meeting id …). The uploader's scope is stored as its area chain (province …
 * ward columns), so listing jobs uses the same scope predicate as members. Counters and `committedThroughRow` are
 * updated in the same transaction as each batch, so they always state exactly what is in the database.
 */
@Entity('import_jobs')
@Index(['scopeKey', 'fileSha256'])
@Index(['uploadedBy', 'createdAt'])
export class ImportJob {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** The registered row kind (ImportKindRegistration.kind). */
  @Column({ type: 'varchar', length: 40 })
  kind!: string;

  /** The kind's job options, as the module that created the job gave them (JSON). */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  parameters!: Record<string, unknown>;

  @Column({ type: 'enum', enum: ImportStatus, enumName: 'import_status' })
  status!: ImportStatus;

  @Column({ type: 'enum', enum: ImportMode, enumName: 'import_mode' })
  mode!: ImportMode;

  @Column({ type: 'boolean' })
  dryRun!: boolean;

  @Column({ type: 'varchar', length: 255 })
  fileName!: string;

  @Column({ type: 'enum', enum: ImportFormat, enumName: 'import_format' })
  format!: ImportFormat;

  @Column({ type: 'char', length: 64 })
  fileSha256!: string;

  @Column({ type: 'integer' })
  fileSize!: number;

  /** `national` or `<level>:<code>` of the uploader's scope: re-uploads are recognised per scope. */
  @Column({ type: 'varchar', length: 40 })
  scopeKey!: string;

  @Column({ type: 'varchar', length: 3, nullable: true })
  provinceCode!: string | null;

  @Column({ type: 'varchar', length: 8, nullable: true })
  districtCode!: string | null;

  @Column({ type: 'varchar', length: 8, nullable: true })
  municipalityCode!: string | null;

  @Column({ type: 'varchar', length: 8, nullable: true })
  wardCode!: string | null;

  @Column({ type: 'uuid' })
  uploadedBy!: string;

  @Column({ type: 'integer', default: 0 })
  totalRows!: number;

  @Column({ type: 'integer', default: 0 })
  validRows!: number;

  @Column({ type: 'integer', default: 0 })
  insertedRows!: number;

  @Column({ type: 'integer', default: 0 })
  updatedRows!: number;

  @Column({ type: 'integer', default: 0 })
  rejectedRows!: number;

  @Column({ type: 'integer', default: 0 })
  duplicateRows!: number;

  /** File row number (header = row 1) through which every row is committed; a retry resumes after it. */
  @Column({ type: 'integer', default: 1 })
  committedThroughRow!: number;

  @Column({ type: 'varchar', length: 1000, nullable: true })
  error!: string | null;

  @Column({ type: 'jsonb', default: () => "'[]'" })
  ignoredColumns!: string[];

  @Column({ type: 'timestamptz', nullable: true })
  startedAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}

/**
 * A row an import did not write, with why. `fields` are the kind's report columns
 * (ImportKindRegistration.reportColumns), as few as the uploader needs to find the row in their file (POPIA:
 * never contact details; an ID number masked).
 */
@Entity('import_rejections')
export class ImportRejection {
  @PrimaryColumn({ type: 'uuid' })
  jobId!: string;

  @PrimaryColumn({ type: 'integer' })
  rowNumber!: number;

  @Column({ type: 'boolean' })
  duplicate!: boolean;

  @Column({ type: 'jsonb' })
  reasons!: string[];

  @Column({ type: 'jsonb', default: () => "'[]'" })
  fields!: (string | null)[];
}

export const IMPORT_ENTITIES = [ImportJob, ImportRejection];
