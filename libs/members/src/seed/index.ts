export * from './member-row-generator.js';
export * from './seed-members.js';
