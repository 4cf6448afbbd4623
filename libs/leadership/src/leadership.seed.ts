import { DataSource } from 'typeorm';
import { NATIONAL_AREA_CODE, StructureKind } from './leadership.enums.js';
import { POSITION_CATALOGUE } from './position-catalogue.js';

export interface LeadershipSeedResult {
  positions: number;
  structures: number;
}

/**
 * Loads the position catalogue and creates one structure per area and level (BCT per ward, SRCT per
 * municipality, RCT per district, PCT per province, the CCT and the War Council). Runs after the geography
 * seed; idempotent: a second run writes nothing. Returns how many rows were written.
 */
export async function seedLeadership(dataSource: DataSource): Promise<LeadershipSeedResult> {
  return dataSource.transaction(async (manager) => {
    const kinds: string[] = [];
    const codes: string[] = [];
    const titles: string[] = [];
    const ranks: number[] = [];
    const seats: number[] = [];
    const provinces: (string | null)[] = [];
    for (const [kind, positions] of Object.entries(POSITION_CATALOGUE)) {
      positions.forEach((p, index) => {
        kinds.push(kind);
        codes.push(p.code);
        titles.push(p.title);
        ranks.push(index + 1);
        seats.push(p.seats);
        provinces.push(p.provinceCode ?? null);
      });
    }
    const positions: unknown[] = await manager.query(
      `INSERT INTO leadership_positions (structure_kind, code, title, rank, seats, province_code)
       SELECT * FROM unnest($1::leadership_structure_kind[], $2::varchar[], $3::varchar[], $4::int[],
                            $5::int[], $6::varchar[])
       ON CONFLICT (structure_kind, code) DO UPDATE
         SET title = EXCLUDED.title, rank = EXCLUDED.rank, seats = EXCLUDED.seats,
             province_code = EXCLUDED.province_code
       WHERE (leadership_positions.title, leadership_positions.rank, leadership_positions.seats,
              leadership_positions.province_code)
             IS DISTINCT FROM (EXCLUDED.title, EXCLUDED.rank, EXCLUDED.seats, EXCLUDED.province_code)
       RETURNING id`,
      [kinds, codes, titles, ranks, seats, provinces],
    );

    const structures: unknown[] = await manager.query(
      `INSERT INTO leadership_structures
              (kind, area_code, name, province_code, district_code, municipality_code, ward_code)
       SELECT * FROM (
         SELECT $1::leadership_structure_kind, $7::varchar, 'Central Command Team'::varchar,
                NULL::varchar, NULL::varchar, NULL::varchar, NULL::varchar
         UNION ALL
         SELECT $2::leadership_structure_kind, $7, 'War Council', NULL, NULL, NULL, NULL
         UNION ALL
         SELECT $3::leadership_structure_kind, p.code, p.name || ' Provincial Command Team',
                p.code, NULL, NULL, NULL
           FROM provinces p
         UNION ALL
         SELECT $4::leadership_structure_kind, d.code, d.name || ' Regional Command Team',
                d.province_code, d.code, NULL, NULL
           FROM districts d
         UNION ALL
         SELECT $5::leadership_structure_kind, m.code, m.name || ' Sub-Regional Command Team',
                m.province_code, m.district_code, m.code, NULL
           FROM municipalities m
         UNION ALL
         SELECT $6::leadership_structure_kind, w.code,
                m.name || ' Ward ' || w.number || ' Branch Command Team',
                w.province_code, w.district_code, w.municipality_code, w.code
           FROM wards w JOIN municipalities m ON m.code = w.municipality_code
       ) AS areas
       ON CONFLICT (kind, area_code) DO NOTHING
       RETURNING id`,
      [
        StructureKind.Cct,
        StructureKind.WarCouncil,
        StructureKind.Pct,
        StructureKind.Rct,
        StructureKind.Srct,
        StructureKind.Bct,
        NATIONAL_AREA_CODE,
      ],
    );
    return { positions: positions.length, structures: structures.length };
  });
}
