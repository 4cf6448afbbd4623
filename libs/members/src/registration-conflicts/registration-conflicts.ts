import { HttpStatus } from '@nestjs/common';
import { Counter } from 'prom-client';
import { AppException, ErrorCode, METRIC, MetricsService, RequestContext } from '@app/core';
import { RegistrationConflictSource } from '../entities/registration-conflict.entity.js';

/** Advisory-lock namespace: (CONFLICT_LOCK, hashtext(user id)) serialises one user's conflict count. */
const CONFLICT_LOCK = 7_301;

/** The reason an import report gives for a row refused for the same (undisclosed) reasons as CANNOT_REGISTER_HERE. */
export const CANNOT_REGISTER_HERE_REASON =
  'idNumber: this person cannot be registered here; the national office has been notified';

/** What runs SQL: a QueryRunner or an EntityManager (inside the caller's transaction). */
export interface Queryable {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

export interface ConflictArea {
  wardCode: string;
  municipalityCode: string;
  districtCode: string;
  provinceCode: string;
}

export interface ConflictInput {
  source: RegistrationConflictSource;
  memberId: string | null;
  area: ConflictArea;
  applicationId?: string | null;
  importId?: string | null;
  rowNumber?: number | null;
}

/**
 * The one answer for an ID number the caller may not register and may not learn why (a member outside their
 * area, an erased member): indistinguishable whatever the reason.
 */
export function cannotRegisterHere(): AppException {
  return new AppException(
    HttpStatus.CONFLICT,
    ErrorCode.CannotRegisterHere,
    'This person cannot be registered here; the national office has been notified',
  );
}

/** The 429 past the limit; `retryAfterSeconds` (body and Retry-After) when known, see secondsUntilUnderLimit. */
export function conflictLimitReached(limit: number, retryAfterSeconds?: number): AppException {
  return new AppException(
    HttpStatus.TOO_MANY_REQUESTS,
    ErrorCode.RegistrationConflictLimit,
    `You reached the limit of ${limit} registrations in 24 hours that need the national office; ` +
      'registering members is paused for you until then (ask the national office)',
    undefined,
    retryAfterSeconds === undefined ? undefined : { retryAfterSeconds },
  );
}

/** Seconds until `userId` has fewer than `limit` conflicts in the last 24 hours (at least 1). */
export async function secondsUntilUnderLimit(
  db: Queryable,
  userId: string,
  limit: number,
): Promise<number> {
  const rows = (await db.query(
    `SELECT ceil(extract(epoch FROM created_at + interval '24 hours' - now()))::int AS s
     FROM registration_conflicts
     WHERE requested_by = $1 AND created_at > now() - interval '24 hours'
     ORDER BY created_at DESC OFFSET $2 LIMIT 1`,
    [userId, limit - 1],
  )) as { s: number }[];
  return Math.max(1, rows[0]?.s ?? 1);
}

/** eff_registration_conflicts_total{outcome=recorded|limited}. */
export function conflictCounter(metrics: MetricsService): Counter<'outcome'> {
  return metrics.counter({
    name: METRIC.registrationConflicts,
    help: 'Registration conflicts recorded, and registrations refused past REGISTRATION_CONFLICT_LIMIT',
    labelNames: ['outcome'],
  });
}

/** Registration conflicts `userId` caused in the last 24 hours (every process counts the same table). */
export async function conflictsInLastDay(db: Queryable, userId: string): Promise<number> {
  const rows = (await db.query(
    `SELECT count(*)::int AS n FROM registration_conflicts
     WHERE requested_by = $1 AND created_at > now() - interval '24 hours'`,
    [userId],
  )) as { n: number }[];
  return rows[0]?.n ?? 0;
}

/**
 * Records conflicts with one audit event each (actor, source, requested ward; never the ID number or the member),
 * inside the caller's transaction, and returns the user's count over the last 24 hours including these. A
 * transaction-scoped advisory lock per user makes the count exact across processes.
 */
export async function recordConflicts(
  db: Queryable,
  userId: string | null,
  conflicts: readonly ConflictInput[],
): Promise<number> {
  if (conflicts.length === 0) return userId ? conflictsInLastDay(db, userId) : 0;
  if (userId)
    await db.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [CONFLICT_LOCK, userId]);
  const context = RequestContext.current();
  await db.query(
    `WITH c AS (
       INSERT INTO registration_conflicts (source, member_id, ward_code, municipality_code, district_code,
         province_code, application_id, import_id, row_number, requested_by)
       SELECT u.source::registration_conflict_source, u.member_id, u.ward_code, u.municipality_code,
         u.district_code, u.province_code, u.application_id, u.import_id, u.row_number, $10::uuid
       FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::uuid[],
         $8::uuid[], $9::int[])
         AS u(source, member_id, ward_code, municipality_code, district_code, province_code, application_id,
           import_id, row_number)
       RETURNING id, source, ward_code, province_code, application_id, import_id, row_number)
     INSERT INTO audit_events (action, entity_type, entity_id, province_code, actor_user_id, changes, request_id, ip)
     SELECT 'registration_conflict.recorded', 'registration_conflict', c.id::text, c.province_code, $10::uuid,
       jsonb_strip_nulls(jsonb_build_object('source', c.source, 'wardCode', c.ward_code,
         'applicationId', c.application_id, 'importId', c.import_id, 'rowNumber', c.row_number)),
       $11, $12
     FROM c`,
    [
      conflicts.map((c) => c.source),
      conflicts.map((c) => c.memberId),
      conflicts.map((c) => c.area.wardCode),
      conflicts.map((c) => c.area.municipalityCode),
      conflicts.map((c) => c.area.districtCode),
      conflicts.map((c) => c.area.provinceCode),
      conflicts.map((c) => c.applicationId ?? null),
      conflicts.map((c) => c.importId ?? null),
      conflicts.map((c) => c.rowNumber ?? null),
      userId,
      context.requestId,
      context.ip,
    ],
  );
  return userId ? conflictsInLastDay(db, userId) : 0;
}
