import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { MulterModuleOptions } from '@nestjs/platform-express';
import type { AppConfig } from '@app/core';
import { importDirOf } from './import-engine.js';

/**
 * Multer options of an import upload route (MulterModule.registerAsync in the kind's module): disk storage in
 * IMPORT_DIR/incoming, capped at IMPORT_MAX_BYTES (larger answers 413); the file is stream-parsed from there and
 * never held in memory whole. The route takes it with @ImportUploadRoute (import-routes.ts).
 */
export function importUploadOptions(config: AppConfig): MulterModuleOptions {
  const destination = path.join(importDirOf(config), 'incoming');
  mkdirSync(destination, { recursive: true });
  return {
    dest: destination,
    limits: { fileSize: config.IMPORT_MAX_BYTES, files: 1, fields: 10, parts: 12 },
  };
}
