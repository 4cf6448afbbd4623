import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
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

/** Rewrites personal values out of stored text and JSON (erasure gives one to the owners of the rows). */
export interface PersonalDataScrub {
  json(value: unknown): unknown;
  nullableText(value: string | null): string | null;
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

/** How many access records one INSERT writes. */
const ACCESS_BATCH = 500;
/** How many anonymous reads one folded row lists at most. */
const FOLDED_ENTRIES_MAX = 1_000;
/** Records kept for a retry while the database refuses them; past this the oldest are dropped (and logged). */
const ACCESS_BACKLOG_MAX = 20_000;
const ACCESS_COLUMNS = [
  'occurred_at',
  'actor_user_id',
  'action',
  'entity_type',
  'entity_id',
  'province_code',
  'request_id',
  'ip',
  'changes',
] as const;
type AccessRow = [
  Date,
  string | null,
  string,
  string,
  string | null,
  string | null,
  string | null,
  string | null,
  /** changes as JSON text (jsonb column) */
  string | null,
];

/** A read by nobody in particular (a public card check): no actor, request id or address is kept. */
export interface AnonymousAccessEntry {
  action: string;
  entityType: string;
  entityId: string | null;
  provinceCode: string | null;
  changes: Record<string, unknown>;
}

interface FoldedAccess {
  occurredAt: Date;
  entry: Omit<AnonymousAccessEntry, 'entityId' | 'changes'>;
  entries: Record<string, unknown>[];
}

/**
 * Writes audit events. Changes: pass the transaction's manager so the event commits (or not) with the change.
 * Reads (recordAccess): queued and written in batches every AUDIT_ACCESS_FLUSH_MS, with the time of the read, so an
 * access record costs the request no database round trip; pending ones are written on shutdown.
 */
@Injectable()
export class AuditService implements OnModuleDestroy {
  private readonly logger = new Logger(AuditService.name);
  private pending: AccessRow[] = [];
  private readonly folded = new Map<string, FoldedAccess>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    @InjectRepository(AuditEvent) private readonly events: Repository<AuditEvent>,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

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

  /**
   * Events about any of `entityIds`, and access records of list pages (`listed.action`) that showed
   * `listed.memberId`: what an erasure must scrub.
   */
  eventsAbout(
    manager: EntityManager,
    entityIds: string[],
    listed: { action: string; memberId: string },
  ): Promise<AuditEvent[]> {
    return manager
      .createQueryBuilder(AuditEvent, 'e')
      .where('e.entity_id IN (:...entityIds)', { entityIds })
      .orWhere("e.action = :listed AND e.entity_id IS NULL AND e.changes -> 'ids' ? :memberId", {
        listed: listed.action,
        memberId: listed.memberId,
      })
      .getMany();
  }

  /**
   * Rewrites the changes of `events` (about the erased member `memberId`) through `scrub`. audit_events is
   * append-only; only the owner's erase_audit_changes() may rewrite an erased member's diffs.
   */
  async eraseChanges(
    manager: EntityManager,
    memberId: string,
    events: AuditEvent[],
    scrub: PersonalDataScrub,
  ): Promise<void> {
    for (const e of events) {
      const changes = scrub.json(e.changes);
      if (JSON.stringify(changes) !== JSON.stringify(e.changes))
        await manager.query('SELECT erase_audit_changes($1, $2, $3)', [
          memberId,
          e.id,
          changes === null ? null : JSON.stringify(changes),
        ]);
    }
  }

  /**
   * Records a read (e.g. member.viewed, or members.listed with the page's filters and ids in `changes`) without
   * waiting for the database; see flushAccess.
   */
  recordAccess(entry: AuditEntry): void {
    const context = RequestContext.current();
    this.pending.push([
      new Date(),
      entry.actorUserId !== undefined ? entry.actorUserId : context.userId,
      entry.action,
      entry.entityType,
      entry.entityId ?? null,
      entry.provinceCode ?? null,
      context.requestId,
      context.ip,
      entry.changes ? JSON.stringify(entry.changes) : null,
    ]);
    this.scheduleFlush(this.pending.length >= ACCESS_BATCH);
  }

  /**
   * Records an anonymous read. Such records carry only a time, an entity and details, so those of one flush with
   * the same action, entity type and province are written as one row (entity_id null, the first read's time) whose
   * `changes.entries` lists each read as `{ at, entityId, ...changes }`: a row per flush instead of one per read.
   */
  recordAnonymousAccess(entry: AnonymousAccessEntry): void {
    const key = `${entry.action}\u0000${entry.entityType}\u0000${entry.provinceCode ?? ''}`;
    const now = new Date();
    let group = this.folded.get(key);
    if (!group) {
      const { action, entityType, provinceCode } = entry;
      group = { occurredAt: now, entry: { action, entityType, provinceCode }, entries: [] };
      this.folded.set(key, group);
    }
    group.entries.push({ at: now.toISOString(), entityId: entry.entityId, ...entry.changes });
    if (group.entries.length >= FOLDED_ENTRIES_MAX) this.queueFolded(key, group);
    this.scheduleFlush(this.pending.length >= ACCESS_BATCH);
  }

  /** Writes every queued access record; resolves once they are in the database (or failed, and kept). */
  flushAccess(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const [key, group] of this.folded) this.queueFolded(key, group);
    this.flushing = this.flushing.then(() => this.writePending());
    return this.flushing;
  }

  private scheduleFlush(now: boolean): void {
    if (now) void this.flushAccess();
    else
      this.timer ??= setTimeout(
        () => void this.flushAccess(),
        this.config.AUDIT_ACCESS_FLUSH_MS,
      ).unref();
  }

  /** Moves a folded group into the queue as one row. */
  private queueFolded(key: string, group: FoldedAccess): void {
    this.folded.delete(key);
    const { action, entityType, provinceCode } = group.entry;
    this.pending.push([
      group.occurredAt,
      null,
      action,
      entityType,
      null,
      provinceCode,
      null,
      null,
      JSON.stringify({ entries: group.entries }),
    ]);
  }

  async onModuleDestroy(): Promise<void> {
    await this.flushAccess();
  }

  private async writePending(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.slice(0, ACCESS_BATCH);
      const values: unknown[] = [];
      const tuples = batch.map((row) => {
        const start = values.length;
        values.push(...row);
        return `(${row.map((_v, i) => `$${start + i + 1}`).join(', ')})`;
      });
      try {
        await this.dataSource.query(
          `INSERT INTO audit_events (${ACCESS_COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`,
          values,
        );
        this.pending.splice(0, batch.length);
      } catch (error) {
        const dropped = Math.max(0, this.pending.length - ACCESS_BACKLOG_MAX);
        this.pending.splice(0, dropped);
        this.logger.error(
          `Access records not written (${this.pending.length} kept for a retry${dropped ? `, ${dropped} dropped` : ''}): ${
            error instanceof Error ? error.message : String(error)
          }`,
        );
        this.timer ??= setTimeout(
          () => void this.flushAccess(),
          this.config.AUDIT_ACCESS_FLUSH_MS * 10,
        ).unref();
        return;
      }
    }
  }
}
