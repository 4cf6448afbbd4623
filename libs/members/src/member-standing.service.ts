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
 * One query per ward (statusOnDateSql), driven by the (ward_code), member_transfers(from_ward_code, transferred_at),
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
      `WITH on_day AS (
         SELECT $2::date AS d, (($2::date + 1)::timestamp AT TIME ZONE 'Africa/Johannesburg') AS cutoff
       ), ${this.statusOnDateSql('$1')}
       SELECT m.id, m.membership_number, m.first_names, m.surname, s.status_on_date
         FROM status_on_date s JOIN members m ON m.id = s.id
        ORDER BY m.surname, m.first_names, m.id`,
      [wardCode, date],
    );
    return rows.map((r) => ({
      id: r.id,
      membershipNumber: r.membership_number,
      firstNames: r.first_names,
      surname: r.surname,
      statusOnDate: r.status_on_date,
    }));
  }

  /**
   * The rule above as SQL, for one statement to build on: CTEs ending in `status_on_date (id, status_on_date)`, the members of ward `ward` (an SQL expression) on the day of a CTE
   * `on_day (d date, cutoff timestamptz)` that the caller defines first (cutoff: the start of the South African
   * day after d). When on_day has no row, no member is read. Set-based: each history table is read once for the
   * ward's candidates (by member_id), not once per member and column.
   */
  statusOnDateSql(ward: string): string {
    const admin = `ARRAY[${ADMIN_STATUSES.map((x) => `'${x}'`).join(', ')}]::text[]`;
    const grace = Math.trunc(Number(this.config.GRACE_PERIOD_DAYS));
    return `day_candidates AS (
         SELECT m.id, m.joined_on, m.expires_on, m.status::text AS status, m.ward_code
           FROM on_day o, members m WHERE m.ward_code = ${ward}
         UNION ALL
         SELECT m.id, m.joined_on, m.expires_on, m.status::text, m.ward_code
           FROM members m
          WHERE m.ward_code <> ${ward}
            AND m.id IN (SELECT t.member_id FROM on_day o, member_transfers t
                          WHERE t.from_ward_code = ${ward} AND t.transferred_at >= o.cutoff)
       ), day_transfer AS (
         SELECT DISTINCT ON (t.member_id) t.member_id, t.from_ward_code
           FROM day_candidates c JOIN member_transfers t ON t.member_id = c.id, on_day o
          WHERE t.transferred_at >= o.cutoff
          ORDER BY t.member_id, t.transferred_at ASC
       ), day_renewal_before AS (
         SELECT DISTINCT ON (r.member_id) r.member_id, r.expires_on
           FROM day_candidates c JOIN member_renewals r ON r.member_id = c.id, on_day o
          WHERE r.paid_on <= o.d
          ORDER BY r.member_id, r.paid_on DESC, r.created_at DESC
       ), day_renewal_after AS (
         SELECT DISTINCT ON (r.member_id) r.member_id, r.previous_expires_on
           FROM day_candidates c JOIN member_renewals r ON r.member_id = c.id, on_day o
          WHERE r.paid_on > o.d
          ORDER BY r.member_id, r.paid_on ASC, r.created_at ASC
       ), day_status_before AS (
         SELECT DISTINCT ON (h.member_id) h.member_id, h.to_status::text AS status
           FROM day_candidates c JOIN member_history h ON h.member_id = c.id, on_day o
          WHERE h.to_status IS NOT NULL AND h.created_at < o.cutoff
          ORDER BY h.member_id, h.id DESC
       ), day_status_after AS (
         SELECT DISTINCT ON (h.member_id) h.member_id, h.from_status::text AS status
           FROM day_candidates c JOIN member_history h ON h.member_id = c.id, on_day o
          WHERE h.from_status IS NOT NULL AND h.created_at >= o.cutoff
          ORDER BY h.member_id, h.id ASC
       ), day_placed AS (
         SELECT c.id, c.joined_on, o.d,
                COALESCE(tr.from_ward_code, c.ward_code) AS ward_on,
                COALESCE(rb.expires_on, ra.previous_expires_on, c.expires_on) AS expiry_on,
                COALESCE(hb.status, ha.status, c.status) AS recorded_status
           FROM day_candidates c CROSS JOIN on_day o
           LEFT JOIN day_transfer tr ON tr.member_id = c.id
           LEFT JOIN day_renewal_before rb ON rb.member_id = c.id
           LEFT JOIN day_renewal_after ra ON ra.member_id = c.id
           LEFT JOIN day_status_before hb ON hb.member_id = c.id
           LEFT JOIN day_status_after ha ON ha.member_id = c.id
       ), status_on_date AS (
         SELECT id,
                CASE WHEN recorded_status = ANY(${admin}) THEN recorded_status
                     WHEN expiry_on IS NULL THEN recorded_status
                     WHEN expiry_on >= d THEN 'active'
                     WHEN expiry_on >= d - ${grace} THEN 'grace_period'
                     ELSE 'expired' END AS status_on_date
           FROM day_placed
          WHERE ward_on = ${ward} AND joined_on <= d
       )`;
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
