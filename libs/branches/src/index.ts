export * from './branches.enums.js';
export * from './branches.module.js';
export * from './dto/branches.dto.js';
export * from './entities/index.js';
export * from './meeting-figures.js';
export * from './meetings.service.js';
export * from './ward-audit.service.js';
export * from './delegates.service.js';
