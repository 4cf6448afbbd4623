export * from './channels/bulksms.sms-sender.js';
export * from './channels/channel-ports.js';
export * from './dto/outbox.dto.js';
export * from './messaging.module.js';
export * from './outbox-message.entity.js';
export * from './outbox.dispatcher.js';
export * from './outbox.service.js';
