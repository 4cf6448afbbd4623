import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { FileFormat } from '@app/files';

export enum ImportStatus {
  Queued = 'queued',
  Running = 'running',
  Completed = 'completed',
  Failed = 'failed',
}

export enum ImportMode {
  Create = 'create',
  Upsert = 'upsert',
}

/** An import's file format: the shared spreadsheet formats (stored as member_import_format). */
export const ImportFormat = FileFormat;
export type ImportFormat = FileFormat;

/**
 * One uploaded member register. The uploader's scope is stored as its area chain (province … ward columns),
 * so listing jobs uses the same scope predicate as members. Counters and `committedThroughRow` are updated in
 * the same transaction as each batch of members, so they always state exactly what is in the database.
 */
@Entity('member_import_jobs')
@Index(['scopeKey', 'fileSha256'])
@Index(['uploadedBy', 'createdAt'])
export class MemberImportJob {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'enum', enum: ImportStatus, enumName: 'member_import_status' })
  status!: ImportStatus;

  @Column({ type: 'enum', enum: ImportMode, enumName: 'member_import_mode' })
  mode!: ImportMode;

  @Column({ type: 'boolean' })
  dryRun!: boolean;

  @Column({ type: 'varchar', length: 255 })
  fileName!: string;

  @Column({ type: 'enum', enum: ImportFormat, enumName: 'member_import_format' })
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
 * A row an import did not write, with why. POPIA: only what the branch needs to find and fix the row in its own
 * register is kept: names, ward and the last four digits of the ID number; never contact details or addresses.
 */
@Entity('member_import_rejections')
export class MemberImportRejection {
  @PrimaryColumn({ type: 'uuid' })
  jobId!: string;

  @PrimaryColumn({ type: 'integer' })
  rowNumber!: number;

  @Column({ type: 'boolean' })
  duplicate!: boolean;

  @Column({ type: 'jsonb' })
  reasons!: string[];

  @Column({ type: 'varchar', length: 13, nullable: true })
  maskedIdNumber!: string | null;

  @Column({ type: 'varchar', length: 100, nullable: true })
  firstNames!: string | null;

  @Column({ type: 'varchar', length: 100, nullable: true })
  surname!: string | null;

  @Column({ type: 'varchar', length: 20, nullable: true })
  wardCode!: string | null;
}

export const MEMBER_IMPORT_ENTITIES = [MemberImportJob, MemberImportRejection];
