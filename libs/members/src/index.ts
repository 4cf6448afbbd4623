export * from './entities/index.js';
export * from './identity.js';
