import { DataSource } from 'typeorm';
import { AppConfig, buildDataSourceOptions, CORE_ENTITIES } from '@app/core';
import { GEOGRAPHY_ENTITIES } from '@app/geography';
import { LEADERSHIP_ENTITIES } from '@app/leadership';
import { DOCUMENT_ENTITIES, IMPORT_ENTITIES } from '@app/files';
import { MEMBERS_ENTITIES } from '@app/members';
import { BRANCHES_ENTITIES, MEETING_DOCUMENT_ENTITIES } from '@app/branches';
import { USERS_ENTITIES } from '@app/users';
import { MESSAGING_ENTITIES } from '@app/messaging';
import { ACCOUNT_RECOVERY_ENTITIES } from '@app/account-recovery';
import { MFA_ENTITIES } from '@app/auth';
import { PAYMENT_RECEIPT_ENTITIES, PAYMENTS_ENTITIES } from '@app/payments';
import { PORTAL_ENTITIES } from '@app/portal';
import { CARDS_ENTITIES } from '@app/cards';
import { MIGRATIONS } from '../../../migrations/index.js';

/** Every entity of every feature module: the one list the app, the CLI and the tests share. */
export const ENTITIES = [
  ...CORE_ENTITIES,
  ...GEOGRAPHY_ENTITIES,
  ...USERS_ENTITIES,
  ...MEMBERS_ENTITIES,
  ...LEADERSHIP_ENTITIES,
  ...IMPORT_ENTITIES,
  ...BRANCHES_ENTITIES,
  ...MESSAGING_ENTITIES,
  ...ACCOUNT_RECOVERY_ENTITIES,
  ...MFA_ENTITIES,
  ...PAYMENTS_ENTITIES,
  ...PORTAL_ENTITIES,
  ...CARDS_ENTITIES,
  ...DOCUMENT_ENTITIES,
  ...PAYMENT_RECEIPT_ENTITIES,
  ...MEETING_DOCUMENT_ENTITIES,
];

export function dataSourceOptions(config: AppConfig, databaseUrl: string) {
  return buildDataSourceOptions(config, databaseUrl, {
    entities: ENTITIES,
    migrations: MIGRATIONS,
  });
}

export function createDataSource(config: AppConfig, databaseUrl: string): DataSource {
  return new DataSource(dataSourceOptions(config, databaseUrl));
}
