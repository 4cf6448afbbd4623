export * from './meeting-document.dto.js';
export * from './meeting-document.entity.js';
export * from './meeting-documents.module.js';
export * from './meeting-documents.service.js';
