import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { RequestContext } from '../context/request-context.js';
import { AuditEvent } from './audit-event.entity.js';

export interface AuditEntry {
  action: string;
  entityType: string;
  entityId?: string | null;
  changes?: Record<string, unknown> | null;
  provinceCode?: string | null;
  /** Defaults to the user of the current request. */
  actorUserId?: string | null;
}

/** Field-level before/after of the keys that changed, with sensitive values masked. */
export function diff(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  masked: readonly string[] = [],
): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const from = before[key] instanceof Date ? before[key].toISOString() : before[key];
    const to = after[key] instanceof Date ? after[key].toISOString() : after[key];
    if (JSON.stringify(from) === JSON.stringify(to)) continue;
    changes[key] = masked.includes(key) ? { from: '[REDACTED]', to: '[REDACTED]' } : { from, to };
  }
  return changes;
}

/** Writes audit events; pass the transaction's manager so the event commits (or not) with the change. */
@Injectable()
export class AuditService {
  constructor(@InjectRepository(AuditEvent) private readonly events: Repository<AuditEvent>) {}

  async record(entry: AuditEntry, manager?: EntityManager): Promise<void> {
    const context = RequestContext.current();
    const repository = manager ? manager.getRepository(AuditEvent) : this.events;
    const event = repository.create({
      action: entry.action,
      entityType: entry.entityType,
      entityId: entry.entityId ?? null,
      changes: entry.changes ?? null,
      provinceCode: entry.provinceCode ?? null,
      actorUserId: entry.actorUserId !== undefined ? entry.actorUserId : context.userId,
      requestId: context.requestId,
      ip: context.ip,
    });
    await repository.save(event, { reload: false });
  }
}
