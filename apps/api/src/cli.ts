import 'reflect-metadata';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { getPriority, setPriority, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isEmail } from 'class-validator';
import {
  AppConfig,
  AuditEvent,
  todayInSouthAfrica,
  type ApprovedChange,
  ConfigError,
  findBreakingChanges,
  loadConfig,
  NodeEnv,
  projectPath,
  startEmbeddedPostgres,
  unapprovedChanges,
} from '@app/core';
import type { DataSource } from 'typeorm';
import { createDataSource } from './data-source.js';
import { migrateAndSeed, openDatabase } from './database.js';
import { generateOpenApiDocument } from './openapi-document.js';
import { createSuperAdmin } from '@app/users';
import { membershipPolicy, seedMembers } from '@app/members';
import {
  createEmailSender,
  createSmsSender,
  OutboxDispatcher,
  runDailyMessaging,
  UnsubscribeTokens,
} from '@app/messaging';
import { KID_PATTERN, writeNewCardKey } from '@app/cards';
import {
  exportRegister,
  importRegister,
  RegisterArchiveError,
  registerKey,
  type RegisterManifest,
} from './register-archive.js';

const say = (message: string): void => console.log(message);

const USAGE = `Usage: node dist/apps/api/src/cli.js <command>
  migrate            apply pending migrations and load reference data (geography, leadership structures)
  revert             revert the last migration
  generate <Name>    write migrations/<timestamp>-<Name>.ts from the difference between entities and migrations
  check              fail when entities and migrations disagree
  openapi [--check]  write openapi.json and the typed client libs/api-client/src/schema.ts from the code
                     (no database needed); --check fails when the committed files differ instead
  openapi-breaking [--release F] [--approved F] [--document F]
                     fail on a breaking change from the last release's document (openapi.release.json) to
                     the one the code produces (or F), unless approved in openapi.approved-changes.json
  openapi-release    record the document the code produces as the release (openapi.release.json) and
                     empty openapi.approved-changes.json (run when a release is cut)
  create-admin --email E [--password P] [--name N]
                     create a super admin (a strong password is generated and printed when none is given)
  send-reminders     queue today's renewal reminders and purge old outbox bodies now (the daily job; safe to
                     repeat: nothing is queued twice, and a run already under way elsewhere is left alone)
  dispatch [--interval-ms N]
                     deliver outbox messages (email, SMS) until SIGTERM/SIGINT: the dispatcher worker, so API
                     processes can run with MESSAGING_DISPATCH=off; any number may run (claims are leased,
                     FOR UPDATE SKIP LOCKED). Polls every N ms (default: MESSAGING_DISPATCH_INTERVAL_MS, else 1000)
  card-key --kid K   write a new Ed25519 card signing key CARD_KEYS_DIR/K.pem (never over an existing one); the
                     processes load it at their next (rolling) reload: rotation steps in docs/cards.md
  seed-members --count N [--seed S] [--streams K] [--keep-indexes]
                     add N synthetic members (development and benchmarks; see bench/README.md)
  export-register --out FILE [--include-id-numbers]
                     a consistent snapshot of the register (members, history, applications, leadership, users
                     without password hashes, audit) into a gzip'd AES-256-GCM archive (key: REGISTER_EXPORT_KEY);
                     without --include-id-numbers ID numbers are left out and the archive cannot be imported
  import-register --in FILE
                     load an archive into an empty, migrated database (one transaction, checked against its manifest)
Uses DATABASE_URL when set, else the embedded PostgreSQL in EMBEDDED_POSTGRES_DIR.
generate and check always work on a throwaway embedded PostgreSQL.`;

class UsageError extends Error {}

/** A command's `--options` and positionals (node:util parseArgs); an unknown option is a UsageError. */
function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** Runs fn on a TypeORM data source of `url`, and closes it. */
async function withDataSource<T>(
  config: AppConfig,
  url: string,
  fn: (dataSource: DataSource) => Promise<T>,
): Promise<T> {
  const dataSource = createDataSource(config, url);
  try {
    await dataSource.initialize();
    return await fn(dataSource);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
  }
}

/** Runs fn on the configured database (DATABASE_URL, else the embedded one, which is stopped after). */
async function withDatabase<T>(config: AppConfig, fn: (url: string) => Promise<T>): Promise<T> {
  const database = await openDatabase(config, say);
  try {
    return await fn(database.url);
  } finally {
    await database.embedded?.stop();
  }
}

/** Runs fn against a scratch PostgreSQL migrated to the latest migration. */
async function withScratchDatabase<T>(
  config: AppConfig,
  fn: (url: string) => Promise<T>,
): Promise<T> {
  const scratch = await startEmbeddedPostgres({
    dataDir: path.join(mkdtempSync(path.join(tmpdir(), 'eff-migrations-')), 'pg'),
    database: 'scratch',
    ephemeral: true,
  });
  try {
    await withDataSource(config, scratch.url, (dataSource) =>
      dataSource.runMigrations({ transaction: 'each' }),
    );
    return await fn(scratch.url);
  } finally {
    await scratch.stop();
  }
}

function pendingSchemaChanges(config: AppConfig, url: string) {
  return withDataSource(config, url, (dataSource) => dataSource.driver.createSchemaBuilder().log());
}

function renderMigration(className: string, up: string[], down: string[]): string {
  const lines = (queries: string[]) =>
    queries.map((q) => `    await queryRunner.query(${JSON.stringify(q)});`).join('\n');
  return `import { MigrationInterface, QueryRunner } from 'typeorm';

export class ${className} implements MigrationInterface {
  name = '${className}';

  public async up(queryRunner: QueryRunner): Promise<void> {
${lines(up)}
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
${lines(down)}
  }
}
`;
}

const OPENAPI_FILE = 'openapi.json';
const RELEASE_FILE = 'openapi.release.json';
const APPROVED_FILE = 'openapi.approved-changes.json';
const CLIENT_SCHEMA_FILE = 'libs/api-client/src/schema.ts';

/**
 * The client types openapi-typescript (a devDependency: development and CI only, hence imported here and not at
 * the top) makes from a document. A property with a server default is optional (the server fills it in), and a
 * binary string (`format: binary`: an uploaded file, a download) is a Blob, so a browser passes a File and reads
 * a download without casts.
 */
async function clientSchema(document: string): Promise<string> {
  const [{ default: openapiTS, astToString, COMMENT_HEADER }, { default: ts }] = await Promise.all([
    import('openapi-typescript'),
    import('typescript'),
  ]);
  const blob = ts.factory.createTypeReferenceNode('Blob');
  const ast = await openapiTS(JSON.parse(document) as Parameters<typeof openapiTS>[0], {
    defaultNonNullable: false,
    transform: (schema) => ('format' in schema && schema.format === 'binary' ? blob : undefined),
  });
  return `${COMMENT_HEADER}${astToString(ast)}`;
}

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** openapi.json and the generated client, from the code; with check, only compares them to what is committed. */
async function openApi(config: AppConfig, check: boolean): Promise<number> {
  const document = await generateOpenApiDocument(config);
  const schema = await clientSchema(document);
  const files: [string, string][] = [
    [OPENAPI_FILE, document],
    [CLIENT_SCHEMA_FILE, schema],
  ];
  if (!check) {
    for (const [file, content] of files) writeFileSync(projectPath(file), content);
    say(`Wrote ${files.map(([file]) => file).join(' and ')}`);
    return 0;
  }
  const stale = files.filter(([file, content]) => readOrEmpty(projectPath(file)) !== content);
  if (stale.length === 0) {
    say('openapi:check: openapi.json and the generated client match the code');
    return 0;
  }
  console.error(
    `openapi:check: ${stale.map(([file]) => file).join(' and ')} ${stale.length === 1 ? 'differs' : 'differ'} ` +
      'from what the code produces. ' +
      'Run `npm run openapi` and commit the result.',
  );
  return 1;
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(path.resolve(projectPath(), file), 'utf8')) as T;
}

/** Breaking changes from the release's document to the current one that nobody approved; 1 when any. */
async function openApiBreaking(
  config: AppConfig,
  files: { release?: string; approved?: string; document?: string },
) {
  const release = readJson<Record<string, unknown>>(files.release ?? RELEASE_FILE);
  const approvedFile = files.approved ?? APPROVED_FILE;
  const approved = readJson<{ approved: ApprovedChange[] }>(approvedFile).approved;
  const documentFile = files.document;
  const current = JSON.parse(
    documentFile
      ? readFileSync(path.resolve(projectPath(), documentFile), 'utf8')
      : await generateOpenApiDocument(config),
  ) as Record<string, unknown>;
  const changes = findBreakingChanges(release, current);
  const unapproved = unapprovedChanges(changes, approved);
  const stale = approved.filter((a) => !changes.some((change) => change.id === a.id));
  for (const entry of stale)
    say(`openapi:check: approved change no longer happens (remove it): ${entry.id}`);
  if (unapproved.length === 0) {
    say(
      `openapi:check: no unapproved breaking change since the release (${changes.length} approved)`,
    );
    return 0;
  }
  console.error(
    `openapi:check: ${unapproved.length} breaking change(s) since the release document ${RELEASE_FILE}:`,
  );
  for (const change of unapproved) console.error(`  ${change.message}\n    id: ${change.id}`);
  console.error(
    `If the break is intended, add each id with a reason to ${approvedFile} (see docs/openapi.md).`,
  );
  return 1;
}

async function run(
  command: string | undefined,
  args: string[],
  config: AppConfig,
): Promise<number> {
  switch (command) {
    case 'migrate':
      parse(args, {});
      await withDatabase(config, (url) => migrateAndSeed(config, url, say));
      return 0;
    case 'revert':
      parse(args, {});
      await withDatabase(config, (url) =>
        withDataSource(config, url, (dataSource) =>
          dataSource.undoLastMigration({ transaction: 'each' }),
        ),
      );
      say('Reverted the last migration');
      return 0;
    case 'generate': {
      const [name] = parse(args, {}).positionals;
      if (!name || !/^[A-Z][A-Za-z0-9]+$/.test(name)) {
        console.error('generate needs a PascalCase name, e.g. generate AddMembers');
        return 2;
      }
      const log = await withScratchDatabase(config, (url) => pendingSchemaChanges(config, url));
      if (log.upQueries.length === 0) {
        say('Entities and migrations agree: nothing to generate');
        return 0;
      }
      const timestamp = Date.now();
      const className = `${name}${timestamp}`;
      const file = projectPath('migrations', `${timestamp}-${name}.ts`);
      writeFileSync(
        file,
        renderMigration(
          className,
          log.upQueries.map((q) => q.query),
          log.downQueries.reverse().map((q) => q.query),
        ),
      );
      say(`Wrote ${path.relative(process.cwd(), file)}; add ${className} to migrations/index.ts`);
      return 0;
    }
    case 'check': {
      parse(args, {});
      const log = await withScratchDatabase(config, (url) => pendingSchemaChanges(config, url));
      if (log.upQueries.length === 0) {
        say('migration:check: entities and migrations agree');
        return 0;
      }
      console.error(
        'migration:check: entities differ from migrations; generate a migration. Missing SQL:',
      );
      for (const q of log.upQueries) console.error(`  ${q.query}`);
      return 1;
    }
    case 'openapi':
      return openApi(config, parse(args, { check: { type: 'boolean' } }).values.check === true);
    case 'openapi-breaking': {
      const { values } = parse(args, {
        release: { type: 'string' },
        approved: { type: 'string' },
        document: { type: 'string' },
      });
      return openApiBreaking(config, values);
    }
    case 'openapi-release': {
      parse(args, {});
      writeFileSync(projectPath(RELEASE_FILE), await generateOpenApiDocument(config));
      writeFileSync(projectPath(APPROVED_FILE), `${JSON.stringify({ approved: [] }, null, 2)}\n`);
      say(`Wrote ${RELEASE_FILE} and emptied ${APPROVED_FILE}`);
      return 0;
    }
    case 'create-admin': {
      const { values } = parse(args, {
        email: { type: 'string' },
        password: { type: 'string' },
        name: { type: 'string' },
      });
      const { email } = values;
      if (!email) {
        console.error('create-admin needs --email');
        return 2;
      }
      if (!isEmail(email)) {
        console.error(`create-admin: ${email} is not an email address`);
        return 2;
      }
      const created = await withDatabase(config, (url) =>
        withDataSource(config, url, (dataSource) =>
          createSuperAdmin(dataSource, { email, password: values.password, name: values.name }),
        ),
      );
      say(`Created super admin ${created?.email ?? email}`);
      if (created?.generatedPassword) say(`Password (shown once): ${created.generatedPassword}`);
      return 0;
    }
    case 'send-reminders':
      return withDatabase(config, (url) => sendRemindersCommand(url, config));
    case 'dispatch': {
      const { values } = parse(args, { 'interval-ms': { type: 'string' } });
      const given = values['interval-ms'];
      const interval =
        given === undefined ? config.MESSAGING_DISPATCH_INTERVAL_MS || 1000 : Number(given);
      if (!Number.isInteger(interval) || interval < 10) {
        console.error('dispatch: --interval-ms must be an integer of at least 10');
        return 2;
      }
      return withDatabase(config, (url) => dispatchCommand(url, config, interval));
    }
    case 'card-key':
      return cardKeyCommand(args, config);
    case 'seed-members':
      return seedMembersCommand(args, config);
    case 'export-register':
    case 'import-register':
      return registerArchiveCommand(command, args, config);
    default:
      console.error(USAGE);
      return 2;
  }
}

function describeManifest(manifest: RegisterManifest): string {
  const tables = manifest.tables.map((t) => `  ${t.table}: ${t.rows} rows, sha256 ${t.sha256}`);
  return [
    `Snapshot of ${manifest.snapshotAt} at migration ${manifest.migration}, ID numbers ${manifest.idNumbers ? 'included' : 'left out'}`,
    ...tables,
  ].join('\n');
}

/** `export-register` and `import-register`; refusals exit with RegisterArchiveError's code. */
async function registerArchiveCommand(
  command: 'export-register' | 'import-register',
  args: string[],
  config: AppConfig,
): Promise<number> {
  const { values } = parse(args, {
    out: { type: 'string' },
    in: { type: 'string' },
    'include-id-numbers': { type: 'boolean', default: false },
  });
  const file = command === 'export-register' ? values.out : values.in;
  if (!file) {
    console.error(`${command} needs ${command === 'export-register' ? '--out FILE' : '--in FILE'}`);
    return 2;
  }
  try {
    const key = registerKey();
    const manifest = await withDatabase(config, (databaseUrl) =>
      command === 'export-register'
        ? exportRegister({ databaseUrl, out: file, key, idNumbers: values['include-id-numbers'] })
        : importRegister({ databaseUrl, in: file, key, log: say }),
    );
    say(`${command === 'export-register' ? 'Exported to' : 'Imported from'} ${file}`);
    say(describeManifest(manifest));
    if (command === 'import-register') {
      say('Password hashes are not exported: every imported account must have its password reset.');
    }
    return 0;
  } catch (error) {
    if (!(error instanceof RegisterArchiveError)) throw error;
    console.error(`${command}: ${error.message}`);
    return error.exitCode;
  }
}

/** `seed-members`: synthetic members through COPY, with a progress bar (cli-progress is a dev dependency). */
async function seedMembersCommand(args: string[], config: AppConfig): Promise<number> {
  const { values } = parse(args, {
    count: { type: 'string' },
    seed: { type: 'string', default: '1' },
    streams: { type: 'string', default: '2' },
    'keep-indexes': { type: 'boolean', default: false },
  });
  const count = Number(values.count);
  const seed = Number(values.seed);
  const streams = Number(values.streams);
  if (
    !Number.isInteger(count) ||
    count < 1 ||
    !Number.isInteger(seed) ||
    !Number.isInteger(streams)
  ) {
    console.error(
      'seed-members needs --count N (a positive integer); --seed and --streams are integers',
    );
    return 2;
  }
  if (config.NODE_ENV === NodeEnv.Production) {
    console.error('seed-members refuses to run with NODE_ENV=production');
    return 2;
  }
  const { default: progress } = await import('cli-progress');
  return withDatabase(config, async (databaseUrl) => {
    const bar = new progress.SingleBar(
      { format: 'members {bar} {percentage}% | {value}/{total} | {eta}s left', etaBuffer: 50 },
      progress.Presets.shades_classic,
    );
    const messages: string[] = [];
    try {
      bar.start(count, 0);
      const result = await seedMembers({
        databaseUrl,
        count,
        seed,
        streams,
        keepIndexes: values['keep-indexes'],
        policy: membershipPolicy(config),
        onProgress: (sent) => bar.update(sent),
        log: (message) => messages.push(message),
      });
      bar.update(count);
      bar.stop();
      for (const message of messages) say(message);
      const t = result.timings;
      const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
      say(
        `Added ${result.inserted} members (${result.existingBefore} before) in ${s(t.total)}: prepare ${s(t.prepare)}, ` +
          `COPY ${s(t.copy)}, indexes ${s(t.indexes)}${result.bulkMode ? ' (rebuilt)' : ''}, ANALYZE ${s(t.analyze)}`,
      );
    } finally {
      bar.stop();
    }
    return 0;
  });
}

/** `send-reminders`: the daily renewal reminders and retention purge, audited like the scheduled run. */
function cardKeyCommand(args: string[], config: AppConfig): number {
  const { values } = parse(args, { kid: { type: 'string' } });
  const dir = config.CARD_KEYS_DIR;
  if (!values.kid || !KID_PATTERN.test(values.kid)) {
    console.error(`card-key needs --kid matching ${String(KID_PATTERN)} (e.g. 2027-01)`);
    return 2;
  }
  if (!dir) {
    console.error('card-key: set CARD_KEYS_DIR to the folder every API process reads');
    return 2;
  }
  mkdirSync(path.resolve(dir), { recursive: true, mode: 0o700 });
  if (!writeNewCardKey(path.resolve(dir), values.kid)) {
    console.error(`card-key: ${values.kid}.pem already exists in ${dir}`);
    return 1;
  }
  say(
    `Wrote ${path.join(dir, `${values.kid}.pem`)}; reload the API processes to load it (docs/cards.md)`,
  );
  return 0;
}

async function sendRemindersCommand(databaseUrl: string, config: AppConfig): Promise<number> {
  const dataSource = createDataSource(config, databaseUrl);
  await dataSource.initialize();
  try {
    const runner = dataSource.createQueryRunner();
    await runner.connect();
    try {
      const result = await runDailyMessaging(
        { query: (q, p) => runner.query(q, p), manager: runner.manager },
        {
          today: todayInSouthAfrica(),
          optOutText: config.SMS_OPT_OUT_TEXT,
          emailOptOutText: config.EMAIL_OPT_OUT_TEXT,
          retentionDays: config.MESSAGING_BODY_RETENTION_DAYS,
        },
      );
      if (!result.ran) {
        say('Another process is running the reminders now; nothing done');
        return 0;
      }
      await runner.manager.insert(AuditEvent, {
        action: 'messaging.reminders_queued',
        entityType: 'messaging_outbox',
        changes: { ...result, via: 'cli' },
      });
      say(JSON.stringify(result));
      return 0;
    } finally {
      await runner.release();
    }
  } finally {
    await dataSource.destroy();
  }
}

/**
 * `dispatch`: the outbox dispatcher on its own (no HTTP server, no scheduled jobs), until SIGTERM or SIGINT; then
 * it finishes the batch in hand and exits 0. Messages it claimed but could not finish are claimed again by any
 * dispatcher once their lease runs out.
 */
async function dispatchCommand(
  databaseUrl: string,
  config: AppConfig,
  intervalMs: number,
): Promise<number> {
  const dataSource = createDataSource(config, databaseUrl);
  await dataSource.initialize();
  const dispatcher = new OutboxDispatcher(
    dataSource,
    createEmailSender(config),
    createSmsSender(config),
    UnsubscribeTokens.fromConfig(config),
    config,
  );
  const keepAlive = setInterval(() => undefined, 1 << 30);
  try {
    if (config.MESSAGING_DISPATCH_NICE > getPriority()) setPriority(config.MESSAGING_DISPATCH_NICE);
    dispatcher.start(intervalMs);
    say(
      `dispatch: delivering outbox messages every ${intervalMs} ms (pid ${process.pid}, nice ${getPriority()})`,
    );
    const signal = await new Promise<string>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    say(`dispatch: ${signal}, finishing the batch in hand`);
    await dispatcher.onApplicationShutdown();
    return 0;
  } finally {
    clearInterval(keepAlive);
    await dataSource.destroy();
  }
}

let config: AppConfig;
try {
  config = loadConfig();
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
const [command, ...args] = process.argv.slice(2);
run(command, args, config)
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    if (error instanceof UsageError) console.error(USAGE);
    process.exit(error instanceof UsageError ? 2 : 1);
  });
