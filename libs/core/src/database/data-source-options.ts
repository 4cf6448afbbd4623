import { readFileSync } from 'node:fs';
import type { ConnectionOptions, TlsOptions } from 'node:tls';
import type { DataSourceOptions, EntitySchema, MixedList } from 'typeorm';
import { AppConfig, DatabaseSslMode } from '../config/app-config.js';
import { SnakeNamingStrategy } from './snake-naming.strategy.js';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type EntityList = MixedList<Function | string | EntitySchema>;
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type MigrationList = MixedList<Function | string>;

export function sslOptions(
  config: Pick<AppConfig, 'DATABASE_SSL_MODE' | 'DATABASE_SSL_CA_FILE'>,
): false | (TlsOptions & Pick<ConnectionOptions, 'checkServerIdentity'>) {
  const ca = config.DATABASE_SSL_CA_FILE
    ? readFileSync(config.DATABASE_SSL_CA_FILE, 'utf8')
    : undefined;
  switch (config.DATABASE_SSL_MODE) {
    case DatabaseSslMode.Disable:
      return false;
    case DatabaseSslMode.Require:
      return { rejectUnauthorized: false };
    case DatabaseSslMode.VerifyCa:
      return { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case DatabaseSslMode.VerifyFull:
      return { ca, rejectUnauthorized: true };
  }
}

/** The one place PostgreSQL connection settings are made, for the app, the CLI and the tests. */
export function buildDataSourceOptions(
  config: AppConfig,
  databaseUrl: string,
  parts: { entities: EntityList; migrations: MigrationList },
): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    entities: parts.entities,
    migrations: parts.migrations,
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    namingStrategy: new SnakeNamingStrategy(),
    ssl: sslOptions(config),
    poolSize: config.DATABASE_POOL_SIZE,
    connectTimeoutMS: config.DATABASE_CONNECT_TIMEOUT_MS,
    applicationName: 'eff-membership-api',
    extra: {
      statement_timeout: config.DATABASE_STATEMENT_TIMEOUT_MS,
      idle_in_transaction_session_timeout: config.DATABASE_STATEMENT_TIMEOUT_MS * 2,
      idleTimeoutMillis: 30000,
    },
  };
}
