import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { HttpStatus, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Request, Response } from 'express';
import { DataSource, EntityManager, In } from 'typeorm';
import { APP_CONFIG, AppException, ErrorCode } from '@app/core';
import type { AppConfig } from '@app/core';
import {
  attachmentDisposition,
  declaredMismatches,
  DocumentMediaType,
  sanitiseDocumentName,
  sniffDocumentType,
} from './document-types.js';
import { documentsDirOf, incomingDirOf } from './document-upload.js';
import type { UploadedDocument } from './document-upload.js';
import { StoredDocument } from './stored-document.entity.js';

/** An upload that passed the checks: what its bytes are and the name it will be kept under. */
export interface CheckedDocument {
  upload: UploadedDocument;
  mediaType: DocumentMediaType;
  fileName: string;
}

/**
 * The file side of one transaction: files moved into place by `save` are deleted again when the transaction
 * fails (`failed`); files whose rows `remove` deleted are unlinked only once it has committed (`committed`).
 * So a row never outlives its file's placement and no file is lost for a row that stayed.
 */
export class DocumentWork {
  private readonly placed: string[] = [];
  private readonly removed: string[] = [];

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
  ) {}

  /** Inserts the document row and renames the upload to its final place (atomic: same file system). */
  async save(
    manager: EntityManager,
    checked: CheckedDocument,
    createdBy: string | null,
  ): Promise<StoredDocument> {
    const id = randomUUID();
    const row = await manager.save(
      manager.create(StoredDocument, {
        id,
        sha256: checked.upload.sha256,
        sizeBytes: checked.upload.size,
        mediaType: checked.mediaType,
        originalName: checked.fileName,
        createdBy,
      }),
    );
    const target = documentPath(this.dir, id);
    await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    await rename(checked.upload.path, target);
    this.placed.push(target);
    return row;
  }

  /** Deletes the rows now (in the transaction) and their files after commit. */
  async remove(manager: EntityManager, ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    await manager.delete(StoredDocument, { id: In([...ids]) });
    for (const id of ids) this.removed.push(documentPath(this.dir, id));
    return ids.length;
  }

  async committed(): Promise<void> {
    await this.unlinkAll(this.removed);
  }

  async failed(): Promise<void> {
    await this.unlinkAll(this.placed);
  }

  private async unlinkAll(files: readonly string[]): Promise<void> {
    await Promise.all(
      files.map((file) =>
        unlink(file).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT')
            this.logger.error({ err: error, file }, 'A stored document could not be deleted');
        }),
      ),
    );
  }
}

/** An upload part this old is no longer in flight: a process died while it streamed. */
const STALE_PART_MS = 60 * 60 * 1000;

/** `<DOCUMENTS_DIR>/<first two hex digits of the id>/<id>`: no client-given part in any path. */
export function documentPath(dir: string, id: string): string {
  if (!/^[0-9a-f-]{36}$/.test(id)) throw new Error(`Not a document id: ${id}`);
  return path.join(dir, id.slice(0, 2), id);
}

/**
 * The document store shared by every module that keeps files (payment receipts, meeting documents): checks an
 * upload by its bytes, keeps it in DOCUMENTS_DIR with its row in `stored_documents` in the caller's
 * transaction, and serves it back with safe headers. Owning modules hold the link rows and the access rules.
 */
@Injectable()
export class DocumentStore implements OnApplicationBootstrap {
  private readonly logger = new Logger(DocumentStore.name);
  private readonly dir: string;
  private readonly incoming: string;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.dir = documentsDirOf(config);
    this.incoming = incomingDirOf(config);
  }

  /** Deletes upload parts a dead process left in incoming/ (older than an hour: no live upload takes that long). */
  async onApplicationBootstrap(): Promise<void> {
    const names = await readdir(this.incoming).catch(() => [] as string[]);
    const before = Date.now() - STALE_PART_MS;
    for (const name of names) {
      if (!name.endsWith('.part')) continue;
      const file = path.join(this.incoming, name);
      const info = await stat(file).catch(() => null);
      if (info && info.mtimeMs < before) await unlink(file).catch(() => undefined);
    }
  }

  /**
   * The upload's type from its bytes, which must be one of `allowed` (else 415 UNSUPPORTED_MEDIA_TYPE), and
   * agree with its declared type and extension (else 422 DOCUMENT_TYPE_MISMATCH). No file part: 400.
   */
  check(
    upload: UploadedDocument | undefined,
    allowed: readonly DocumentMediaType[],
  ): CheckedDocument {
    if (!upload) throw AppException.badRequest('Attach the document as the file part', 'file');
    const what = allowed.map((t) => t.split('/')[1]!.toUpperCase()).join(', ');
    const sniffed = sniffDocumentType(upload.head);
    if (sniffed === null || !allowed.includes(sniffed)) {
      throw new AppException(
        HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        ErrorCode.UnsupportedMediaType,
        sniffed === null
          ? `The file is not one of ${what} (judged by its content)`
          : `The file is a ${sniffed.split('/')[1]!.toUpperCase()}; only ${what} is accepted here`,
        [{ field: 'file', code: 'unsupportedType', message: `Only ${what}` }],
      );
    }
    const mismatches = declaredMismatches(sniffed, upload.mimetype, upload.originalname);
    if (mismatches.length > 0) {
      throw new AppException(
        HttpStatus.UNPROCESSABLE_ENTITY,
        ErrorCode.DocumentTypeMismatch,
        `The file's content is ${sniffed}, but it is ${mismatches.join(' and ')}`,
        [{ field: 'file', code: 'typeMismatch', message: `The content is ${sniffed}` }],
        { sniffedType: sniffed },
      );
    }
    return {
      upload,
      mediaType: sniffed,
      fileName: sanitiseDocumentName(upload.originalname, sniffed),
    };
  }

  /** File bookkeeping for a transaction the caller runs (see DocumentWork). */
  begin(): DocumentWork {
    return new DocumentWork(this.dir, this.logger);
  }

  /** Runs `work` in a transaction; files follow its outcome (placed ones removed on failure). */
  async transaction<T>(
    work: (manager: EntityManager, files: DocumentWork) => Promise<T>,
  ): Promise<T> {
    const files = this.begin();
    let result: T;
    try {
      result = await this.dataSource.transaction((manager) => work(manager, files));
    } catch (error) {
      await files.failed();
      throw error;
    }
    await files.committed();
    return result;
  }

  async get(id: string, manager?: EntityManager): Promise<StoredDocument | null> {
    return (manager ?? this.dataSource.manager).findOneBy(StoredDocument, { id });
  }

  /**
   * Sends the document as a download: Content-Type from the sniffed type, `attachment`, `nosniff`, a sandboxing
   * CSP, ETag = the SHA-256 (If-None-Match with it answers 304), no caching of the personal data it may hold.
   */
  async send(doc: StoredDocument, req: Request, res: Response): Promise<void> {
    const file = documentPath(this.dir, doc.id);
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) {
      this.logger.error({ documentId: doc.id }, 'A stored document has no file');
      throw new AppException(
        HttpStatus.INTERNAL_SERVER_ERROR,
        ErrorCode.InternalError,
        'The document could not be read',
      );
    }
    const etag = `"${doc.sha256}"`;
    res.setHeader('ETag', etag);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'private, no-store');
    const match = req.headers['if-none-match'];
    if (match && match.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
      res.status(HttpStatus.NOT_MODIFIED).end();
      return;
    }
    res.setHeader('Content-Type', doc.mediaType);
    res.setHeader('Content-Length', String(info.size));
    res.setHeader('Content-Disposition', attachmentDisposition(doc.originalName));
    res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
    res.status(HttpStatus.OK);
    await pipeline(createReadStream(file), res);
  }
}
