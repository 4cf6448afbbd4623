import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Unique,
} from 'typeorm';
import { StoredDocument } from '@app/files';
import { BranchMeeting } from '../entities/branch-meeting.entity.js';

export enum MeetingDocumentKind {
  Agenda = 'agenda',
  Minutes = 'minutes',
  Decisions = 'decisions',
}

/**
 * One version of a meeting's agenda, minutes or decisions as a PDF in the shared document store. A new upload
 * of a kind is the next version; earlier versions stay.
 */
@Entity('branch_meeting_documents')
@Unique('UQ_branch_meeting_documents_version', ['meetingId', 'kind', 'version'])
@Index('UQ_branch_meeting_documents_document', ['documentId'], { unique: true })
export class MeetingDocument {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  meetingId!: string;

  @ManyToOne(() => BranchMeeting, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'meeting_id' })
  meeting?: BranchMeeting;

  @Column({ type: 'enum', enum: MeetingDocumentKind, enumName: 'meeting_document_kind' })
  kind!: MeetingDocumentKind;

  /** 1 for the first upload of the kind, then n + 1. */
  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'uuid' })
  documentId!: string;

  @ManyToOne(() => StoredDocument, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'document_id' })
  document?: StoredDocument;

  @Column({ type: 'uuid', nullable: true })
  uploadedBy!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  uploadedAt!: Date;
}

export const MEETING_DOCUMENT_ENTITIES = [MeetingDocument];
