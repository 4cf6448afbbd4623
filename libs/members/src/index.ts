export * from './dto/create-member.dto.js';
export * from './entities/index.js';
export * from './identity.js';
export * from './member-validators.js';
