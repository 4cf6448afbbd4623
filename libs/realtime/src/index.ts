export * from './realtime-hub.js';
export * from './realtime-io.adapter.js';
export * from './realtime.gateway.js';
export * from './realtime.module.js';
export * from './rooms.js';
