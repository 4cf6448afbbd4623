import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuthUser, isNational, withinScope } from '@app/auth';
import {
  APP_CONFIG,
  AppException,
  AuditService,
  decodeCreatedAtCursor,
  ErrorCode,
  MetricsService,
  Page,
  toPage,
} from '@app/core';
import type { AppConfig } from '@app/core';
import {
  RegistrationConflictSource,
  RegistrationConflictStatus,
} from '../entities/registration-conflict.entity.js';
import {
  ListRegistrationConflictsQueryDto,
  RegistrationConflictDto,
  ResolveRegistrationConflictDto,
} from './dto/registration-conflict.dto.js';
import {
  cannotRegisterHere,
  ConflictArea,
  conflictCounter,
  conflictLimitReached,
  conflictsInLastDay,
  recordConflicts,
  secondsUntilUnderLimit,
} from './registration-conflicts.js';

const COLUMNS = `c.id, c.status, c.source, c.member_id AS "memberId", m.membership_number AS "membershipNumber",
  m.ward_code AS "memberWardCode", c.ward_code AS "wardCode", c.municipality_code AS "municipalityCode",
  c.district_code AS "districtCode", c.province_code AS "provinceCode", c.application_id AS "applicationId",
  c.import_id AS "importId", c.row_number AS "rowNumber", c.requested_by AS "requestedBy",
  c.created_at AS "createdAt", c.outcome, c.note, c.resolved_by AS "resolvedBy", c.resolved_at AS "resolvedAt",
  to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS "cursorAt"`;

export interface RegistrationOrigin {
  source: RegistrationConflictSource;
  applicationId?: string;
}

/**
 * Registration conflicts: an ID number someone tried to register in their area while it belongs to a member they
 * may not see. The requester gets one generic refusal (409 CANNOT_REGISTER_HERE) whatever the reason; each hit is
 * recorded and audited, and a user past REGISTRATION_CONFLICT_LIMIT in 24 hours may not register anyone (429).
 * National admins list and resolve the conflicts.
 */
@Injectable()
export class RegistrationConflictsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: MetricsService,
    private readonly audit: AuditService,
  ) {}

  /**
   * 429 when the user already caused REGISTRATION_CONFLICT_LIMIT conflicts in 24 hours: checked before every
   * registration attempt, whatever its ID number, so the refusal says nothing about the number tried.
   */
  async assertUnderLimit(actor: AuthUser): Promise<void> {
    if (isNational(actor.scope)) return; // every member is inside: never a conflict
    const count = await conflictsInLastDay(this.dataSource, actor.id);
    if (count >= this.config.REGISTRATION_CONFLICT_LIMIT) {
      conflictCounter(this.metrics).inc({ outcome: 'limited' });
      throw await this.limitReached(actor.id);
    }
  }

  /**
   * The answer for a registration refused because the ID number is already a member. Inside the caller's area:
   * 409 DUPLICATE_ID_NUMBER naming the membership number (the caller can see that member anyway). Anywhere else
   * (or erased): a recorded, audited conflict and 409 CANNOT_REGISTER_HERE, or 429 past the limit.
   */
  async refusal(
    actor: AuthUser,
    idNumber: string,
    area: ConflictArea,
    origin: RegistrationOrigin,
  ): Promise<AppException> {
    const [member] = await this.dataSource.query<
      {
        id: string;
        membership_number: string;
        ward_code: string;
        municipality_code: string;
        district_code: string;
        province_code: string;
        anonymised: boolean;
      }[]
    >(
      `SELECT id, membership_number, ward_code, municipality_code, district_code, province_code,
         anonymised_at IS NOT NULL AS anonymised
       FROM members WHERE id_number = $1`,
      [idNumber],
    );
    if (
      member &&
      !member.anonymised &&
      withinScope(actor, {
        wardCode: member.ward_code,
        municipalityCode: member.municipality_code,
        districtCode: member.district_code,
        provinceCode: member.province_code,
      })
    ) {
      return new AppException(
        HttpStatus.CONFLICT,
        ErrorCode.DuplicateIdNumber,
        `This person is already a member in your area (membership number ${member.membership_number})`,
        undefined,
        { memberId: member.id, membershipNumber: member.membership_number },
      );
    }
    const count = await this.dataSource.transaction((manager) =>
      recordConflicts(manager, actor.id, [
        {
          source: origin.source,
          memberId: member?.id ?? null,
          area,
          applicationId: origin.applicationId ?? null,
        },
      ]),
    );
    const counter = conflictCounter(this.metrics);
    counter.inc({ outcome: 'recorded' });
    if (count > this.config.REGISTRATION_CONFLICT_LIMIT) {
      counter.inc({ outcome: 'limited' });
      return this.limitReached(actor.id);
    }
    return cannotRegisterHere();
  }

  private async limitReached(userId: string): Promise<AppException> {
    const limit = this.config.REGISTRATION_CONFLICT_LIMIT;
    return conflictLimitReached(
      limit,
      await secondsUntilUnderLimit(this.dataSource, userId, limit),
    );
  }

  async list(query: ListRegistrationConflictsQueryDto): Promise<Page<RegistrationConflictDto>> {
    const values: unknown[] = [];
    const where: string[] = [];
    if (query.status) {
      values.push(query.status);
      where.push(`c.status = $${values.length}::registration_conflict_status`);
    }
    if (query.cursor) {
      const after = decodeCreatedAtCursor(query.cursor);
      if (!after) throw AppException.badRequest('cursor is not valid', 'cursor', 'invalidCursor');
      const { at, id } = after;
      values.push(at, id);
      where.push(
        `(c.created_at, c.id) < ($${values.length - 1}::timestamp AT TIME ZONE 'UTC', $${values.length}::uuid)`,
      );
    }
    values.push(query.limit + 1);
    const rows = await this.dataSource.query<(RegistrationConflictDto & { cursorAt: string })[]>(
      `SELECT ${COLUMNS} FROM registration_conflicts c LEFT JOIN members m ON m.id = c.member_id
       ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY c.created_at DESC, c.id DESC LIMIT $${values.length}`,
      values,
    );
    const page = toPage(rows, query.limit, (r) => [r.cursorAt, r.id]);
    return { data: page.data.map(withoutCursor), nextCursor: page.nextCursor };
  }

  async resolve(
    actor: AuthUser,
    id: string,
    dto: ResolveRegistrationConflictDto,
  ): Promise<RegistrationConflictDto> {
    return this.dataSource.transaction(async (manager) => {
      const [current] = await manager.query<{ status: RegistrationConflictStatus }[]>(
        'SELECT status FROM registration_conflicts WHERE id = $1 FOR UPDATE',
        [id],
      );
      if (!current) throw AppException.notFound(`Registration conflict ${id}`);
      if (current.status !== RegistrationConflictStatus.Open)
        throw AppException.conflict('This registration conflict is already resolved');
      await manager.query(
        `UPDATE registration_conflicts SET status = 'resolved', outcome = $2, note = $3, resolved_by = $4,
           resolved_at = now() WHERE id = $1`,
        [id, dto.outcome, dto.note ?? null, actor.id],
      );
      await this.audit.record(
        {
          action: 'registration_conflict.resolved',
          entityType: 'registration_conflict',
          entityId: id,
          changes: {
            status: { from: current.status, to: RegistrationConflictStatus.Resolved },
            outcome: dto.outcome,
            ...(dto.note ? { note: dto.note } : {}),
          },
        },
        manager,
      );
      const [row] = await manager.query<(RegistrationConflictDto & { cursorAt: string })[]>(
        `SELECT ${COLUMNS} FROM registration_conflicts c LEFT JOIN members m ON m.id = c.member_id
         WHERE c.id = $1`,
        [id],
      );
      return withoutCursor(row!);
    });
  }
}

function withoutCursor(
  row: RegistrationConflictDto & { cursorAt: string },
): RegistrationConflictDto {
  const { cursorAt: _cursorAt, ...dto } = row;
  return dto;
}
