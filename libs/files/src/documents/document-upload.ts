import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { applyDecorators, HttpStatus } from '@nestjs/common';
import type { Type } from '@nestjs/common';
import type { MulterModuleOptions } from '@nestjs/platform-express';
import type { Request } from 'express';
import type { StorageEngine } from 'multer';
import { ApiErrorCodes, ApiProblems, ErrorCode } from '@app/core';
import type { AppConfig } from '@app/core';
import { UploadedFileBody } from '../imports/upload-cleanup.interceptor.js';
import { SNIFF_BYTES } from './document-types.js';

/** A document upload as our storage engine leaves it: on disk in DOCUMENTS_DIR/incoming, hashed and measured. */
export interface UploadedDocument {
  /** The temporary file (`incoming/<random>.part`); the store renames it into place or it is deleted. */
  path: string;
  size: number;
  /** Lower-case hex SHA-256 of every byte received, computed while streaming. */
  sha256: string;
  /** The first SNIFF_BYTES bytes, for the content check. */
  head: Buffer;
  originalname: string;
  /** The part's declared Content-Type. */
  mimetype: string;
}

/** The absolute folder of the document store (DOCUMENTS_DIR, relative to the working directory). */
export function documentsDirOf(config: Pick<AppConfig, 'DOCUMENTS_DIR'>): string {
  return path.resolve(config.DOCUMENTS_DIR);
}

/** Where uploads stream to before they are checked: inside DOCUMENTS_DIR, so the final rename is atomic. */
export function incomingDirOf(config: Pick<AppConfig, 'DOCUMENTS_DIR'>): string {
  return path.join(documentsDirOf(config), 'incoming');
}

type StoredInfo = Pick<UploadedDocument, 'path' | 'size' | 'sha256' | 'head'>;

/**
 * A multer storage engine that streams the file part to `incoming/<random>.part` (mode 0600), computing its
 * SHA-256, size and first bytes on the way; nothing is ever held in memory whole. multer deletes the part
 * through `_removeFile` when the upload is refused (e.g. past the size limit).
 */
export function hashingDiskStorage(incomingDir: string): StorageEngine {
  return {
    _handleFile(_req: Request, file, callback) {
      const target = path.join(incomingDir, `${randomBytes(16).toString('hex')}.part`);
      const hash = createHash('sha256');
      const head: Buffer[] = [];
      let headBytes = 0;
      let size = 0;
      const meter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          size += chunk.length;
          if (headBytes < SNIFF_BYTES) {
            const part = chunk.subarray(0, SNIFF_BYTES - headBytes);
            head.push(part);
            headBytes += part.length;
          }
          done(null, chunk);
        },
      });
      pipeline(file.stream, meter, createWriteStream(target, { flags: 'wx', mode: 0o600 })).then(
        () => {
          const info: StoredInfo = {
            path: target,
            size,
            sha256: hash.digest('hex'),
            head: Buffer.concat(head),
          };
          callback(null, info);
        },
        (error: unknown) => {
          void unlink(target).catch(() => undefined);
          callback(error);
        },
      );
    },
    _removeFile(_req: Request, file, callback) {
      if (!file.path) return callback(null);
      unlink(file.path).then(
        () => callback(null),
        () => callback(null),
      );
    },
  };
}

/**
 * Multer options of a document upload route (MulterModule.registerAsync in the owning module): one file part,
 * at most DOCUMENT_MAX_BYTES (larger answers 413 and the part is deleted), streamed by hashingDiskStorage.
 * The route takes it with @DocumentUpload.
 */
export function documentUploadOptions(config: AppConfig): MulterModuleOptions {
  const incoming = incomingDirOf(config);
  mkdirSync(incoming, { recursive: true, mode: 0o700 });
  return {
    storage: hashingDiskStorage(incoming),
    limits: { fileSize: config.DOCUMENT_MAX_BYTES, files: 1, fields: 10, parts: 12 },
  };
}

/**
 * A document upload route: the multipart body `form` whose one file part `file` multer takes with
 * documentUploadOptions (registered by the owning module) and UploadCleanupInterceptor deletes unless the store
 * kept it; and what any upload may answer: 413 past DOCUMENT_MAX_BYTES, 415 for bytes of no accepted type, 422
 * DOCUMENT_TYPE_MISMATCH when the name or part type disagree with the bytes.
 */
export function DocumentUpload(form: Type): MethodDecorator {
  return applyDecorators(
    UploadedFileBody(form),
    ApiProblems(
      HttpStatus.PAYLOAD_TOO_LARGE,
      HttpStatus.UNSUPPORTED_MEDIA_TYPE,
      HttpStatus.UNPROCESSABLE_ENTITY,
    ),
    ApiErrorCodes(HttpStatus.UNPROCESSABLE_ENTITY, ErrorCode.DocumentTypeMismatch),
  );
}
