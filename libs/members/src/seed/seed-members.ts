import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { MembershipPolicy } from '../membership-dates.js';
import { MemberRowGenerator, SEED_MEMBER_COLUMNS, SeedWard } from './member-row-generator.js';

export interface SeedMembersOptions {
  databaseUrl: string;
  /** Members to add (the seed always adds; run it again to add more). */
  count: number;
  /** Faker / PRNG seed: the same seed on the same database state gives the same names, ID numbers and wards. */
  seed?: number;
  /** Parallel COPY streams, one connection each (default 2). */
  streams?: number;
  /**
   * Bulk mode drops the secondary indexes of `members` before COPY and rebuilds them after (much faster than
   * maintaining ~15 indexes row by row). It is used when the load at least doubles the table; `keepIndexes`
   * turns it off (use it on a database that serves traffic).
   */
  keepIndexes?: boolean;
  /** The configured membership period and grace period the generated dates and statuses follow. */
  policy: MembershipPolicy;
  /** Rows per COPY chunk (default 2000). */
  chunkRows?: number;
  onProgress?: (rowsSent: number) => void;
  log?: (message: string) => void;
}

export interface SeedMembersResult {
  inserted: number;
  existingBefore: number;
  bulkMode: boolean;
  rebuiltIndexes: string[];
  /** Milliseconds per phase. */
  timings: { prepare: number; copy: number; indexes: number; analyze: number; total: number };
}

interface DroppedIndex {
  name: string;
  definition: string;
}

/**
 * Adds `count` synthetic members through parallel COPY streams and finishes with ANALYZE. Membership numbers
 * come from a block of `membership_number_seq` reserved up front (so the insert trigger assigns nothing), ID
 * numbers continue after the highest serial already used per birth date and gender (so they never collide).
 */
export async function seedMembers(options: SeedMembersOptions): Promise<SeedMembersResult> {
  const log = options.log ?? (() => undefined);
  const streams = Math.max(1, options.streams ?? 2);
  const started = performance.now();
  const clients = Array.from(
    { length: streams },
    () => new pg.Client({ connectionString: options.databaseUrl }),
  );
  await Promise.all(clients.map((c) => c.connect()));
  const main = clients[0]!;
  const dropped: DroppedIndex[] = [];
  const rebuilt: string[] = [];
  try {
    for (const client of clients) {
      await client.query("SET synchronous_commit = 'off'");
      await client.query("SET maintenance_work_mem = '512MB'");
      await client.query('SET statement_timeout = 0');
    }
    const exists = await main.query<{ t: string | null }>("SELECT to_regclass('members') AS t");
    if (!exists.rows[0]?.t) throw new Error('No members table: run the migrations first');
    const wards = (
      await main.query<SeedWard>(
        `SELECT code AS "wardCode", municipality_code AS "municipalityCode", district_code AS "districtCode",
                province_code AS "provinceCode" FROM wards ORDER BY code`,
      )
    ).rows;
    if (wards.length === 0) throw new Error('No wards: load the geography first (migration:run)');
    const existingBefore = Number(
      (await main.query<{ n: string }>('SELECT count(*) AS n FROM members')).rows[0]!.n,
    );
    const usedSerials = new Map<string, number>();
    if (existingBefore > 0) {
      const used = await main.query<{ k: string; s: number }>(
        `SELECT substr(id_number, 1, 6) || CASE WHEN substr(id_number, 7, 4)::int < 5000 THEN 'f' ELSE 'm' END AS k,
                max(substr(id_number, 7, 4)::int) AS s
           FROM members GROUP BY 1`,
      );
      for (const row of used.rows) usedSerials.set(row.k, row.s);
    }
    // Reserve count membership numbers; the lock keeps the trigger of concurrent inserts out of the block.
    await main.query('BEGIN');
    await main.query('LOCK TABLE members IN SHARE ROW EXCLUSIVE MODE');
    const reserved = await main.query<{ last: string }>(
      "SELECT setval('membership_number_seq', nextval('membership_number_seq') + $1::bigint - 1) AS last",
      [options.count],
    );
    await main.query('COMMIT');
    const firstSequenceValue = BigInt(reserved.rows[0]!.last) - BigInt(options.count) + 1n;

    const bulkMode = !options.keepIndexes && options.count >= existingBefore;
    if (bulkMode) {
      const indexes = await main.query<DroppedIndex>(
        `SELECT i.relname AS name, pg_get_indexdef(i.oid) AS definition
           FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
          WHERE x.indrelid = 'members'::regclass
            AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
          ORDER BY pg_get_indexdef(i.oid) LIKE '%USING gin%' DESC, pg_relation_size(i.oid) DESC`,
      );
      for (const index of indexes.rows) {
        await main.query(`DROP INDEX ${quoteIdent(index.name)}`);
        dropped.push(index);
      }
      log(`Bulk mode: dropped ${dropped.length} secondary indexes, rebuilt after the load`);
    }
    const prepared = performance.now();

    const generator = await MemberRowGenerator.create({
      count: options.count,
      seed: options.seed ?? 1,
      wards,
      firstSequenceValue,
      usedSerials,
      policy: options.policy,
    });
    const chunkRows = options.chunkRows ?? 2000;
    const copySql = `COPY members (${SEED_MEMBER_COLUMNS.join(', ')}) FROM STDIN`;
    await Promise.all(
      clients.map((client) => {
        // read() is only called when the COPY stream wants more: backpressure for free.
        const source = new Readable({
          read() {
            const chunk = generator.nextChunk(chunkRows);
            if (chunk === null) {
              this.push(null);
              return;
            }
            options.onProgress?.(options.count - generator.remaining);
            this.push(chunk);
          },
        });
        return pipeline(source, client.query(copyFrom(copySql)));
      }),
    );
    const copied = performance.now();

    await rebuildIndexes(clients, dropped, rebuilt, log);
    dropped.length = 0;
    const indexed = performance.now();
    await main.query('ANALYZE members');
    const analyzed = performance.now();
    return {
      inserted: options.count,
      existingBefore,
      bulkMode,
      rebuiltIndexes: rebuilt,
      timings: {
        prepare: Math.round(prepared - started),
        copy: Math.round(copied - prepared),
        indexes: Math.round(indexed - copied),
        analyze: Math.round(analyzed - indexed),
        total: Math.round(analyzed - started),
      },
    };
  } finally {
    if (dropped.length > 0) {
      // The load failed after the indexes were dropped: put them back before giving up.
      log(`Restoring ${dropped.length} dropped indexes after a failure`);
      await rebuildIndexes(clients, dropped, rebuilt, log).catch((error: unknown) => {
        log(`Could not restore every index (${String(error)}); recreate them with:`);
        for (const index of dropped) log(`  ${index.definition};`);
      });
    }
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  }
}

/** Rebuilds the dropped indexes (GIN, the slowest, first) spread over the connections. */
async function rebuildIndexes(
  clients: pg.Client[],
  dropped: DroppedIndex[],
  rebuilt: string[],
  log: (message: string) => void,
): Promise<void> {
  const queue = [...dropped];
  await Promise.all(
    clients.map(async (client) => {
      for (let index = queue.shift(); index; index = queue.shift()) {
        const started = performance.now();
        // IF NOT EXISTS: a restore after a failed rebuild skips the ones already back.
        await client.query(
          index.definition.replace(/^CREATE (UNIQUE )?INDEX /, 'CREATE $1INDEX IF NOT EXISTS '),
        );
        rebuilt.push(index.name);
        log(`  index ${index.name} ${((performance.now() - started) / 1000).toFixed(1)} s`);
      }
    }),
  );
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
