export * from './dto/payment.dto.js';
export * from './entities/payment.entity.js';
export * from './gateway/payfast.js';
export * from './gateway/payment-gateway.port.js';
export * from './payments-erasure.js';
export * from './payments.module.js';
export * from './payments.service.js';
