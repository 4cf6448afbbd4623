import pg from 'pg';
import {
  AppConfig,
  EmbeddedPostgresHandle,
  NodeEnv,
  sslOptions,
  startEmbeddedPostgres,
} from '@app/core';
import { seedGeography } from '@app/geography';
import { seedLeadership } from '@app/leadership';
import { createSuperAdmin } from '@app/users';
import { createDataSource } from './data-source.js';

export interface Database {
  url: string;
  /** Set when this process started the embedded PostgreSQL and must stop it. */
  embedded?: EmbeddedPostgresHandle;
}

export const EMBEDDED_DATABASE_NAME = 'eff_membership';

/** DATABASE_URL when set (nothing is started); otherwise the embedded PostgreSQL in EMBEDDED_POSTGRES_DIR. */
export async function openDatabase(
  config: AppConfig,
  log: (message: string) => void,
): Promise<Database> {
  if (config.DATABASE_URL) return { url: config.DATABASE_URL };
  if (config.NODE_ENV === NodeEnv.Production) {
    throw new Error(
      'DATABASE_URL is required in production; the embedded PostgreSQL is for development only',
    );
  }
  const embedded = await startEmbeddedPostgres({
    dataDir: config.EMBEDDED_POSTGRES_DIR,
    database: EMBEDDED_DATABASE_NAME,
    log,
  });
  log(
    `Embedded PostgreSQL running on 127.0.0.1:${embedded.port} (data in ${config.EMBEDDED_POSTGRES_DIR})`,
  );
  return { url: embedded.url, embedded };
}

/**
 * Advisory lock (one bigint key) held while migrating and seeding: processes that start together (several API
 * replicas, each running the container entrypoint's `migrate`) take turns instead of racing to create the same
 * tables; the later ones then find the schema up to date.
 */
export const MIGRATION_LOCK = 7620;

/** Applies pending migrations and the idempotent reference-data seeds, one process at a time. */
export async function migrateAndSeed(
  config: AppConfig,
  databaseUrl: string,
  log: (message: string) => void,
): Promise<void> {
  const dataSource = createDataSource(config, databaseUrl);
  await dataSource.initialize();
  // A connection of its own (not the pool's): it holds the lock while the pool runs the migrations.
  const lock = new pg.Client({
    connectionString: databaseUrl,
    ssl: sslOptions(config) as pg.ClientConfig['ssl'],
    application_name: 'eff-membership-api-migrate',
  });
  try {
    await lock.connect();
    const waiting = setTimeout(() => log('Waiting for another process to finish migrating'), 2000);
    try {
      await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    } finally {
      clearTimeout(waiting);
    }
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    log(
      applied.length > 0
        ? `Applied ${applied.length} migration(s)`
        : 'Database schema is up to date',
    );
    const seeded = await seedGeography(dataSource);
    const changed = Object.entries(seeded).filter(([, n]) => n > 0);
    log(
      changed.length > 0
        ? `Geography loaded: ${changed.map(([table, n]) => `${n} ${table}`).join(', ')}`
        : 'Geography is up to date',
    );
    // After geography: one command structure per area, and the position catalogue.
    const leadership = await seedLeadership(dataSource);
    log(
      leadership.structures + leadership.positions > 0
        ? `Leadership loaded: ${leadership.structures} structures, ${leadership.positions} positions`
        : 'Leadership structures are up to date',
    );
  } finally {
    // Closing the session releases the lock too.
    await lock.end().catch(() => undefined);
    await dataSource.destroy();
  }
}

export const EMBEDDED_ADMIN_EMAIL = 'admin@eff.local';

/**
 * Creates the first super admin when none exists: from ADMIN_EMAIL / ADMIN_PASSWORD, or on the embedded default
 * with a generated password printed once.
 */
export async function ensureFirstAdmin(
  config: AppConfig,
  databaseUrl: string,
  log: (message: string) => void,
): Promise<void> {
  const email = config.ADMIN_EMAIL ?? (config.DATABASE_URL ? undefined : EMBEDDED_ADMIN_EMAIL);
  if (!email) return;
  const dataSource = createDataSource(config, databaseUrl);
  await dataSource.initialize();
  try {
    const created = await createSuperAdmin(dataSource, {
      email,
      password: config.ADMIN_PASSWORD,
      onlyIfNone: true,
    });
    if (!created) return;
    log(`Created the first super admin: ${created.email}`);
    if (created.generatedPassword) {
      log(`Its password, shown this once: ${created.generatedPassword}`);
      log(
        'Sign in at POST /api/v1/auth/login and change it with POST /api/v1/auth/change-password.',
      );
    }
  } finally {
    await dataSource.destroy();
  }
}
