import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AppException, ErrorCode } from '@app/core';
import {
  accessQuery,
  accessRefusal,
  AccessMode,
  AccessResource,
  AccessRow,
} from './access-rules.js';
import { ScopedActor } from './area-access.js';

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
    const wanted = [...new Set(ids)];
    if (wanted.length === 0) return;
    const { text, values } = accessQuery(actor.scope, resource, wanted, options.lock);
    const rows: AccessRow[] = await (options.manager ?? this.dataSource.manager).query(
      text,
      values,
    );
    const refusal = accessRefusal(resource, mode, wanted, rows);
    if (refusal?.status === 404) throw AppException.notFound(refusal.what);
    if (refusal) throw new AppException(HttpStatus.FORBIDDEN, ErrorCode.Forbidden, refusal.message);
  }
}
