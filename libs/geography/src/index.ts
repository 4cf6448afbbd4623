export * from './dto/geography.dto.js';
export * from './entities/index.js';
export * from './geography-codes.js';
export * from './geography.module.js';
export * from './geography.seed.js';
export * from './geography.service.js';
