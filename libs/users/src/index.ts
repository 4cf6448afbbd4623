export * from './dto/user.dto.js';
export * from './first-admin.js';
export * from './user-management.policy.js';
export * from './user.entity.js';
export * from './users.module.js';
export * from './users.service.js';
