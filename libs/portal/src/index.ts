export * from './account-claim.entity.js';
export * from './account-claim.service.js';
export * from './dto/portal.dto.js';
export * from './me.service.js';
export * from './portal.module.js';
