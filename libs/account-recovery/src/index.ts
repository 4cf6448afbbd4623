export * from './account-recovery.module.js';
export * from './account-recovery.service.js';
export * from './dto/recovery.dto.js';
export * from './password-reset-token.entity.js';
