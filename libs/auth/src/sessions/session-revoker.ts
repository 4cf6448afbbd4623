import { Injectable } from '@nestjs/common';
import { AuditService, DomainEventBus, DomainEventType } from '@app/core';
import { SessionStore } from './session.store.js';

/** Ends every session of a user at once, on every process, and tells sockets to close. */
@Injectable()
export class SessionRevoker {
  constructor(
    private readonly sessions: SessionStore,
    private readonly audit: AuditService,
    private readonly events: DomainEventBus,
  ) {}

  async revokeAll(userId: string, reason: string): Promise<void> {
    const sessionIds = await this.sessions.revokeAllForUser(userId);
    await this.audit.record({
      action: 'auth.sessions_revoked',
      entityType: 'user',
      entityId: userId,
      changes: { reason, sessions: sessionIds.length },
    });
    this.events.publish({
      type: DomainEventType.SessionsRevoked,
      area: null,
      userId,
      payload: { reason },
    });
  }
}
