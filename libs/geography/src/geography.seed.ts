import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { DataSource, EntityManager } from 'typeorm';
import { projectPath } from '@app/core';

type Row = Record<string, string>;

function readCsv(name: string): Row[] {
  return parse(readFileSync(projectPath('libs/geography/data', name)), {
    columns: true,
    skip_empty_lines: true,
    trim: true,
  });
}

function column(rows: Row[], key: string): string[] {
  return rows.map((row) => {
    const value = row[key];
    if (value === undefined) throw new Error(`Geography data: column ${key} missing`);
    return value;
  });
}

/** Upserts one table from parallel arrays; rows already equal are left untouched. Returns rows written. */
async function upsert(
  manager: EntityManager,
  table: 'provinces' | 'districts' | 'municipalities' | 'wards',
  columns: { name: string; type: string; values: string[] }[],
): Promise<number> {
  const names = columns.map((c) => c.name);
  const nonKey = names.filter((n) => n !== 'code');
  const sql = `
    INSERT INTO ${table} (${names.join(', ')})
    SELECT * FROM unnest(${columns.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ')})
    ON CONFLICT (code) DO UPDATE SET ${nonKey.map((n) => `${n} = EXCLUDED.${n}`).join(', ')}
    WHERE (${nonKey.map((n) => `${table}.${n}`).join(', ')}) IS DISTINCT FROM (${nonKey.map((n) => `EXCLUDED.${n}`).join(', ')})
    RETURNING code`;
  const result: unknown[] = await manager.query(
    sql,
    columns.map((c) => c.values),
  );
  return result.length;
}

export interface GeographySeedResult {
  provinces: number;
  districts: number;
  municipalities: number;
  wards: number;
}

/**
 * Loads the Municipal Demarcation Board's 2020 ward cycle (9 / 52 / 213 / 4,468) from libs/geography/data.
 * Idempotent: a second run writes nothing. Returns how many rows each table gained or changed.
 */
export async function seedGeography(dataSource: DataSource): Promise<GeographySeedResult> {
  const provinces = readCsv('provinces.csv');
  const districts = readCsv('districts.csv');
  const municipalities = readCsv('municipalities.csv');
  const wards = readCsv('wards.csv');
  return dataSource.transaction(async (manager) => ({
    provinces: await upsert(manager, 'provinces', [
      { name: 'code', type: 'varchar', values: column(provinces, 'province_code') },
      { name: 'name', type: 'varchar', values: column(provinces, 'province_name') },
    ]),
    districts: await upsert(manager, 'districts', [
      { name: 'code', type: 'varchar', values: column(districts, 'district_code') },
      { name: 'name', type: 'varchar', values: column(districts, 'district_name') },
      {
        name: 'type',
        type: 'district_type',
        values: column(districts, 'district_type').map((t) => t.toLowerCase()),
      },
      { name: 'province_code', type: 'varchar', values: column(districts, 'province_code') },
    ]),
    municipalities: await upsert(manager, 'municipalities', [
      { name: 'code', type: 'varchar', values: column(municipalities, 'municipality_code') },
      { name: 'name', type: 'varchar', values: column(municipalities, 'municipality_name') },
      {
        name: 'category',
        type: 'municipality_category',
        values: column(municipalities, 'category'),
      },
      { name: 'district_code', type: 'varchar', values: column(municipalities, 'district_code') },
      { name: 'province_code', type: 'varchar', values: column(municipalities, 'province_code') },
      { name: 'ward_count', type: 'integer', values: column(municipalities, 'ward_count') },
    ]),
    wards: await upsert(manager, 'wards', [
      { name: 'code', type: 'varchar', values: column(wards, 'ward_code') },
      { name: 'number', type: 'integer', values: column(wards, 'ward_number') },
      { name: 'label', type: 'varchar', values: column(wards, 'ward_label') },
      { name: 'name', type: 'varchar', values: column(wards, 'ward_name') },
      { name: 'municipality_code', type: 'varchar', values: column(wards, 'municipality_code') },
      { name: 'district_code', type: 'varchar', values: column(wards, 'district_code') },
      { name: 'province_code', type: 'varchar', values: column(wards, 'province_code') },
    ]),
  }));
}
