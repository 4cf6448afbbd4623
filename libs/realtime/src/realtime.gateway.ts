import { Logger, OnModuleDestroy } from '@nestjs/common';
import { OnGatewayInit, WebSocketGateway } from '@nestjs/websockets';
import type { Namespace } from 'socket.io';
import { ROLE_PERMISSIONS, TokenService } from '@app/auth';
import { DomainEventBus, METRIC, MetricsService } from '@app/core';
import { RealtimeHub, SocketIdentity } from './realtime-hub.js';
import { REALTIME_NAMESPACE } from './rooms.js';

/**
 * The /realtime namespace: authenticated sockets, scoped rooms, domain events after commit. The rules live
 * in RealtimeHub; this class wires it to Nest (token verification, the event bus, metrics).
 */
@WebSocketGateway({ namespace: REALTIME_NAMESPACE })
export class RealtimeGateway implements OnGatewayInit<Namespace>, OnModuleDestroy {
  private readonly logger = new Logger(RealtimeGateway.name);
  private unsubscribe: (() => void) | null = null;
  private hub: RealtimeHub | null = null;

  constructor(
    private readonly tokens: TokenService,
    private readonly bus: DomainEventBus,
    private readonly metrics: MetricsService,
  ) {}

  afterInit(nsp: Namespace): void {
    const hub = new RealtimeHub(nsp, async (token): Promise<SocketIdentity> => {
      const user = await this.tokens.verify(token);
      // A session from an administrator-reset password may only change the password.
      if (user.passwordChangeRequired) throw new Error('password change required');
      return {
        userId: user.id,
        sessionId: user.sessionId,
        scope: user.scope,
        permissions: ROLE_PERMISSIONS[user.role] ?? [],
        expiresAt: user.expiresAt,
      };
    });
    hub.attach();
    this.hub = hub;
    this.unsubscribe = this.bus.subscribe((event) => hub.dispatch(event));
    this.metrics.gauge({
      name: METRIC.connectedSockets,
      help: 'socket.io connections to /realtime on this process',
      collect: function (this: { set(value: number): void }) {
        this.set(hub.connectedCount);
      },
    });
    this.logger.log(`Realtime gateway on namespace ${REALTIME_NAMESPACE}`);
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
    this.hub = null;
  }
}
