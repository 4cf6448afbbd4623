import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import { DocumentMediaType } from './document-types.js';

/**
 * A file kept by the document store (libs/files/src/documents): its bytes live in DOCUMENTS_DIR under its id,
 * never in the database. The owning module links it (payment_receipts, branch_meeting_documents); the row and
 * the file come and go together (DocumentStore).
 */
@Entity('stored_documents')
@Check('CHK_stored_documents_sha256', `"sha256" ~ '^[0-9a-f]{64}$'`)
@Check('CHK_stored_documents_size', '"size_bytes" > 0')
@Index('IDX_stored_documents_sha256', ['sha256'])
export class StoredDocument {
  /** Chosen by the store before the file is moved into place (the file's name). */
  @PrimaryColumn('uuid')
  id!: string;

  /** Lower-case hex SHA-256 of the bytes, computed while they streamed in; the download's ETag. */
  @Column({ type: 'char', length: 64 })
  sha256!: string;

  @Column({ type: 'integer' })
  sizeBytes!: number;

  /** Sniffed from the bytes, never taken from the client. */
  @Column({ type: 'enum', enum: DocumentMediaType, enumName: 'document_media_type' })
  mediaType!: DocumentMediaType;

  /** The client's file name, sanitised (sanitiseDocumentName). */
  @Column({ type: 'varchar', length: 255 })
  originalName!: string;

  @Column({ type: 'uuid', nullable: true })
  createdBy!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}

export const DOCUMENT_ENTITIES = [StoredDocument];
