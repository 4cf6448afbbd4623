export * from './dto/stats.dto.js';
export * from './stats-refresher.js';
export * from './stats.module.js';
export * from './stats.service.js';
