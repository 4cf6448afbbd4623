import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { HARNESS_ENV } from './services.mjs';
import type { TestDatabase } from './test-app.js';

const INIT_SCRIPT = path.resolve(
  import.meta.dirname,
  '../../deploy/docker/postgres-init/10-app-role.sh',
);

/** The SQL of deploy/docker/postgres-init/10-app-role.sh with its psql variables filled in. */
export function appRoleSql(vars: Record<string, string>): string {
  const script = readFileSync(INIT_SCRIPT, 'utf8');
  const sql = /<<'SQL'\n([\s\S]*?)\nSQL/.exec(script)?.[1];
  if (!sql) throw new Error('no SQL block in the postgres-init script');
  return sql
    .replace(/:"(\w+)"/g, (_m, name: string) => `"${vars[name]}"`)
    .replace(/:'(\w+)'/g, (_m, name: string) => `'${vars[name]}'`);
}

export interface AppRole {
  role: string;
  /** The test database's URL, logged in as the app role. */
  url: string;
  drop(): Promise<void>;
}

/**
 * A DML-only login role on a migrated test database, made by the Compose stack's own init script (as eff_app is):
 * it may read and write rows and call the functions, never own or change the schema.
 */
export async function createAppRole(db: TestDatabase): Promise<AppRole> {
  const role = `eff_app_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  const owner = (await db.pool.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u;
  await db.pool.query(
    appRoleSql({ app_user: role, app_password: password, owner, dbname: db.name }),
  );
  const url = new URL(db.url);
  url.username = role;
  url.password = password;
  return {
    role,
    url: url.toString(),
    drop: async () => {
      const cluster = new Client({ connectionString: process.env[HARNESS_ENV.pgAdminUrl] });
      await cluster.connect();
      try {
        await cluster.query(`DROP ROLE IF EXISTS "${role}"`);
      } finally {
        await cluster.end();
      }
    },
  };
}
