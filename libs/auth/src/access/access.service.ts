import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AppException, ErrorCode } from '@app/core';
import { ACCESS_RULES, AccessMode, AccessResource } from './access-rules.js';
import { ScopedActor } from './area-access.js';
import { ScopedSql } from './scoped-sql.js';

export interface AccessOptions {
  /** Run inside this transaction. */
  manager?: EntityManager;
  /** Lock the rows (SELECT … FOR UPDATE); needs `manager`. */
  lock?: boolean;
}

/**
 * The one check of "may this caller reach these records": one query for a set of ids, driven by ACCESS_RULES.
 * Services call it once per method before they read or change records by id; lists apply the scope in their
 * query with ScopedSql or scoped() instead.
 */
@Injectable()
export class AccessService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Resolves when every id exists and lies inside the actor's scope. Otherwise the first failing id answers:
   * 404 when it does not exist or (reads, and writes whose rule says so) lies outside the scope; 403 with the
   * rule's message for a write outside the scope.
   */
  async require(
    actor: ScopedActor,
    resource: AccessResource,
    mode: AccessMode,
    ids: readonly string[],
    options: AccessOptions = {},
  ): Promise<void> {
    const rule = ACCESS_RULES[resource];
    const wanted = [...new Set(ids)];
    if (wanted.length === 0) return;
    const sql = new ScopedSql();
    const text =
      `SELECT t.id::text AS id, (${sql.scope(actor.scope, 't')}) AS inside FROM ${rule.table} t ` +
      `WHERE t.id = ANY(${sql.param(wanted)}::uuid[])${options.lock ? ' FOR UPDATE' : ''}`;
    const rows: { id: string; inside: boolean }[] = await (
      options.manager ?? this.dataSource.manager
    ).query(text, sql.values);
    const inside = new Map(rows.map((r) => [r.id.toLowerCase(), r.inside]));
    for (const id of wanted) {
      const found = inside.get(id.toLowerCase());
      if (found === true) continue;
      if (found === undefined || mode === 'read' || rule.writeOutside === null)
        throw AppException.notFound(`${rule.label} ${id}`);
      throw new AppException(HttpStatus.FORBIDDEN, ErrorCode.Forbidden, rule.writeOutside);
    }
  }
}
