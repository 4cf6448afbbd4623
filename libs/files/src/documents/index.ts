export * from './document-store.js';
export * from './document-types.js';
export * from './document-upload.js';
export * from './documents.module.js';
export * from './stored-document.entity.js';
