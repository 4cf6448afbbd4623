import { Module } from '@nestjs/common';
import { RealtimeGateway } from './realtime.gateway.js';

/** socket.io gateway on /realtime. main.ts installs RealtimeIoAdapter (path, origins, Redis adapter). */
@Module({ providers: [RealtimeGateway] })
export class RealtimeModule {}
