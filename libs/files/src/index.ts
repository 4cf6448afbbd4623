export * from './file-errors.js';
export * from './file-format.js';
export * from './row-sources.js';
export * from './table-writer.js';
export * from './zip-limits.js';
export * from './pdf/pdf-writer.js';
export * from './imports/index.js';
export * from './documents/index.js';
