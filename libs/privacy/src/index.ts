export * from './dto/privacy.dto.js';
export * from './erasure.js';
export * from './privacy.module.js';
export * from './privacy.service.js';
