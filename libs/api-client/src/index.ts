export * from './client.js';
export * from './realtime.js';
export * from './session.js';
export type { components, operations, paths } from './schema.js';
