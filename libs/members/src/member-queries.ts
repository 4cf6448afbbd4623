import { Scope, ScopedSql } from '@app/auth';
import { decodeCursor, invalidCursor, UUID_PATTERN } from '@app/core';
import { ListMembersQueryDto, MemberSort } from './dto/member.dto.js';
import { isNameSearch, memberFilterConditions } from './member-filter-sql.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The columns of MemberDto, in its order and under its names, for queries whose rows are returned as they come
 * (list and get): no entity hydration. Dates come back as YYYY-MM-DD text whatever the session's DateStyle.
 */
export const MEMBER_DTO_COLUMNS = [
  'm.id',
  'm.membership_number AS "membershipNumber"',
  'm.id_number AS "idNumber"',
  'm.first_names AS "firstNames"',
  'm.surname',
  `to_char(m.date_of_birth, 'YYYY-MM-DD') AS "dateOfBirth"`,
  'm.gender',
  'm.citizenship',
  'm.cell_number AS "cellNumber"',
  'm.email',
  'm.residential_address AS "residentialAddress"',
  'm.ward_code AS "wardCode"',
  'm.municipality_code AS "municipalityCode"',
  'm.district_code AS "districtCode"',
  'm.province_code AS "provinceCode"',
  'm.status',
  `to_char(m.joined_on, 'YYYY-MM-DD') AS "joinedOn"`,
  `to_char(m.last_paid_on, 'YYYY-MM-DD') AS "lastPaidOn"`,
  `to_char(m.expires_on, 'YYYY-MM-DD') AS "expiresOn"`,
  'm.consent_given_at AS "consentGivenAt"',
  'm.created_at AS "createdAt"',
  'm.updated_at AS "updatedAt"',
  'm.version',
].join(', ');

/** The SQL of GET /members/:id: the member as MemberDto if it lies inside `scope`. */
export function memberGetQuery(scope: Scope, id: string): { text: string; values: unknown[] } {
  const sql = new ScopedSql();
  const text = `SELECT ${MEMBER_DTO_COLUMNS} FROM members m WHERE m.id = ${sql.param(id)} AND ${sql.scope(scope, 'm')}`;
  return { text, values: sql.values };
}

/**
 * The SQL of GET /members: the caller's scope and the filters (memberFilterConditions, which the export shares),
 * then the keyset cursor, ordered by the sort column and id, limit + 1 rows (the extra one says whether there is a
 * next page).
 *
 * A name search (q not an identifier) collects the trigram matches first, in a MATERIALIZED CTE carrying every
 * other predicate, and sorts only those: members_scope_name_trgm (GIN over province, district, municipality,
 * ward and the name's trigrams) finds the matches inside the scope without visiting other rows. Left to itself
 * the planner sometimes walks the (scope, surname, id) index instead, filtering tens of thousands of rows,
 * depending on its trigram statistics. Exact identifiers use their unique or plain btree indexes; plain lists use
 * the (scope column, sort column, id) indexes.
 *
 * bench/members.mjs runs this function's SQL (from dist/) as the database floor.
 */
export function memberListQuery(
  scope: Scope,
  query: ListMembersQueryDto,
): { text: string; values: unknown[]; bySurname: boolean } {
  const sql = new ScopedSql();
  const where = memberFilterConditions(sql, scope, query);
  const sort = query.sort ?? MemberSort.Surname;
  const bySurname = sort === MemberSort.Surname || sort === MemberSort.SurnameDesc;
  const dir = sort.startsWith('-') ? 'DESC' : 'ASC';
  const column = bySurname ? 'surname' : 'joined_on';
  if (query.cursor) {
    const [value, id] = decodeCursor(query.cursor, 2);
    if (
      typeof value !== 'string' ||
      typeof id !== 'string' ||
      !UUID_PATTERN.test(id) ||
      (!bySurname && !DATE.test(value))
    )
      throw invalidCursor();
    where.push(
      `(m.${column}, m.id) ${dir === 'DESC' ? '<' : '>'} (${sql.param(value)}, ${sql.param(id)})`,
    );
  }
  const limit = sql.param(query.limit + 1);
  const predicate = where.join(' AND ');
  if (isNameSearch(query)) {
    // The CTE's output names are MemberDto's; joinedOn is text in YYYY-MM-DD, which sorts as the date does.
    const sortKey = bySurname ? 'surname' : '"joinedOn"';
    return {
      text:
        `WITH hits AS MATERIALIZED (SELECT ${MEMBER_DTO_COLUMNS} FROM members m WHERE ${predicate}) ` +
        `SELECT * FROM hits ORDER BY ${sortKey} ${dir}, id ${dir} LIMIT ${limit}`,
      values: sql.values,
      bySurname,
    };
  }
  return {
    text: `SELECT ${MEMBER_DTO_COLUMNS} FROM members m WHERE ${predicate} ORDER BY m.${column} ${dir}, m.id ${dir} LIMIT ${limit}`,
    values: sql.values,
    bySurname,
  };
}
