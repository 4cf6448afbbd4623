import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, IsNull } from 'typeorm';
import { APP_CONFIG } from '@app/core';
import type { AppConfig } from '@app/core';
import { Member, MemberStatus } from './entities/member.entity.js';

/** A member of a ward on a given date, with the status the member had that day. */
export interface MemberOnDate {
  id: string;
  membershipNumber: string;
  firstNames: string;
  surname: string;
  /** The status derived for that date (see MemberStandingService). */
  statusOnDate: MemberStatus;
}

/** A member's number, name, current ward chain and status (what attendance and delegates check). */
export interface MemberByNumber {
  id: string;
  membershipNumber: string;
  firstNames: string;
  surname: string;
  status: MemberStatus;
  wardCode: string;
  municipalityCode: string;
  districtCode: string;
  provinceCode: string;
}

/** Statuses an admin sets (or the application flow): the daily recalculation never derives them from dates. */
const ADMIN_STATUSES = ['pending', 'suspended', 'cancelled', 'deceased'];

/**
 * "Who was a member of ward W, and in what status, on date D". The rule (documented in docs/branches.md):
 * - Ward on D: the from-ward of the member's first transfer after D (South African calendar day), else the
 *   current ward.
 * - Not yet a member when joined_on is after D.
 * - Admin statuses (pending, suspended, cancelled, deceased) on D: the to-status of the last status change at or
 *   before D, else the from-status of the first change after D, else the current status.
 * - Otherwise the status follows the expiry date in force on D: the expiry set by the last renewal paid on or
 *   before D, else the previous expiry recorded by the first renewal paid after D, else the current expiry.
 *   Active when that expiry is on or after D, Grace Period for GRACE_PERIOD_DAYS after it, then Expired.
 *   A member without any expiry keeps the recorded status.
 * One query per ward, driven by the (ward_code), member_transfers(from_ward_code, transferred_at),
 * member_renewals(member_id, paid_on) and member_history(member_id, id) indexes.
 */
@Injectable()
export class MemberStandingService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Every member of the ward on `date` with the status derived for that day (not yet joined: left out). */
  async membersOn(
    wardCode: string,
    date: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<MemberOnDate[]> {
    const rows: {
      id: string;
      membership_number: string;
      first_names: string;
      surname: string;
      status_on_date: MemberStatus;
    }[] = await manager.query(
      `WITH bounds AS (
         SELECT (($2::date + 1)::timestamp AT TIME ZONE 'Africa/Johannesburg') AS cutoff
       ), candidates AS (
         SELECT m.id FROM members m WHERE m.ward_code = $1
         UNION
         SELECT t.member_id FROM member_transfers t, bounds b
          WHERE t.from_ward_code = $1 AND t.transferred_at >= b.cutoff
       ), placed AS (
         SELECT m.id, m.membership_number, m.first_names, m.surname, m.joined_on,
           COALESCE((SELECT t.from_ward_code FROM member_transfers t
                      WHERE t.member_id = m.id AND t.transferred_at >= b.cutoff
                      ORDER BY t.transferred_at ASC LIMIT 1), m.ward_code) AS ward_on,
           COALESCE((SELECT r.expires_on FROM member_renewals r
                      WHERE r.member_id = m.id AND r.paid_on <= $2::date
                      ORDER BY r.paid_on DESC, r.created_at DESC LIMIT 1),
                    (SELECT r.previous_expires_on FROM member_renewals r
                      WHERE r.member_id = m.id AND r.paid_on > $2::date
                      ORDER BY r.paid_on ASC, r.created_at ASC LIMIT 1),
                    m.expires_on) AS expiry_on,
           COALESCE((SELECT h.to_status::text FROM member_history h
                      WHERE h.member_id = m.id AND h.to_status IS NOT NULL AND h.created_at < b.cutoff
                      ORDER BY h.id DESC LIMIT 1),
                    (SELECT h.from_status::text FROM member_history h
                      WHERE h.member_id = m.id AND h.from_status IS NOT NULL AND h.created_at >= b.cutoff
                      ORDER BY h.id ASC LIMIT 1),
                    m.status::text) AS recorded_status
           FROM candidates c JOIN members m ON m.id = c.id CROSS JOIN bounds b
       )
       SELECT id, membership_number, first_names, surname,
              CASE WHEN recorded_status = ANY($3::text[]) THEN recorded_status
                   WHEN expiry_on IS NULL THEN recorded_status
                   WHEN expiry_on >= $2::date THEN 'active'
                   WHEN expiry_on >= $2::date - $4::int THEN 'grace_period'
                   ELSE 'expired' END AS status_on_date
         FROM placed
        WHERE ward_on = $1 AND joined_on <= $2::date
        ORDER BY surname, first_names, id`,
      [wardCode, date, ADMIN_STATUSES, this.config.GRACE_PERIOD_DAYS],
    );
    return rows.map((r) => ({
      id: r.id,
      membershipNumber: r.membership_number,
      firstNames: r.first_names,
      surname: r.surname,
      statusOnDate: r.status_on_date,
    }));
  }

  /** Members with these membership numbers, unscoped (the caller decides what to reveal). */
  async byMembershipNumbers(
    numbers: readonly string[],
    manager: EntityManager = this.dataSource.manager,
  ): Promise<MemberByNumber[]> {
    const unique = [...new Set(numbers)];
    if (unique.length === 0) return [];
    return manager.find(Member, {
      select: {
        id: true,
        membershipNumber: true,
        firstNames: true,
        surname: true,
        status: true,
        wardCode: true,
        municipalityCode: true,
        districtCode: true,
        provinceCode: true,
      },
      where: { membershipNumber: In(unique) },
    });
  }

  /** Members with these ids (same fields as byMembershipNumbers), unscoped. */
  async byIds(
    ids: readonly string[],
    manager: EntityManager = this.dataSource.manager,
  ): Promise<MemberByNumber[]> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return [];
    return manager.find(Member, {
      select: {
        id: true,
        membershipNumber: true,
        firstNames: true,
        surname: true,
        status: true,
        wardCode: true,
        municipalityCode: true,
        districtCode: true,
        provinceCode: true,
      },
      where: { id: In(unique) },
    });
  }

  /** The ward's members who are Active or in Grace Period today, by surname (membership cards), unscoped. */
  inGoodStandingOfWard(wardCode: string): Promise<Member[]> {
    return this.dataSource.manager.find(Member, {
      where: {
        wardCode,
        status: In([MemberStatus.Active, MemberStatus.GracePeriod]),
        anonymisedAt: IsNull(),
      },
      order: { surname: 'ASC', firstNames: 'ASC', id: 'ASC' },
    });
  }

  /** Today's Active members per ward (the members.status column; index (ward_code, status)). */
  async activeCounts(wardCodes: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>(wardCodes.map((w) => [w, 0]));
    if (wardCodes.length === 0) return out;
    const rows: { ward_code: string; n: number }[] = await this.dataSource.query(
      `SELECT ward_code, count(*)::int AS n FROM members
        WHERE ward_code = ANY($1::varchar[]) AND status = 'active' GROUP BY ward_code`,
      [[...wardCodes]],
    );
    for (const r of rows) out.set(r.ward_code, r.n);
    return out;
  }
}
