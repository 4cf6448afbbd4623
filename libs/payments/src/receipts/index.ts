export * from './payment-receipt.entity.js';
export * from './payment-receipts.module.js';
export * from './payment-receipts.service.js';
export * from './receipt.dto.js';
