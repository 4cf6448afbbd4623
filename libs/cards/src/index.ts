export * from './card-keyring.js';
export * from './card-token.js';
export * from './cards.module.js';
export * from './cards.service.js';
export * from './dto/cards.dto.js';
export * from './membership-card.entity.js';
