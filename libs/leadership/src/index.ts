export * from './dto/leadership.dto.js';
export * from './entities/index.js';
export * from './leadership.enums.js';
export * from './leadership.module.js';
export * from './leadership.policy.js';
export * from './leadership.seed.js';
export * from './leadership.service.js';
export * from './position-catalogue.js';
export { positionDto, structureDto } from './leadership.mapper.js';
