import { Module } from '@nestjs/common';
import { DocumentStore } from './document-store.js';

/** The document store (stored_documents + DOCUMENTS_DIR), for modules that keep uploaded files. */
@Module({
  providers: [DocumentStore],
  exports: [DocumentStore],
})
export class DocumentsModule {}
