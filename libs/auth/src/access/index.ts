export * from './access-rules.js';
export * from './access.service.js';
export * from './area-access.js';
export * from './scoped-sql.js';
