import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  type Hash,
} from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  openSync,
  readSync,
  rmSync,
  closeSync,
  statSync,
} from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { Transform, Writable, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { Client } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { hashPassword } from '@app/auth';

/**
 * The register's tables, in an order that satisfies their foreign keys. Geography is reference data loaded by
 * `migrate`; statistics are derived (refreshed after an import); import jobs and their rejections are operational.
 */
const TABLES = [
  'users',
  'members',
  'member_history',
  'member_renewals',
  'member_transfers',
  'membership_applications',
  'registration_conflicts',
  'leadership_positions',
  'leadership_structures',
  'leadership_appointments',
  'audit_events',
] as const;
type RegisterTable = (typeof TABLES)[number];

/** Seeded by `migrate` with fresh ids, so an import replaces them with the archive's. */
const REPLACED_ON_IMPORT: readonly RegisterTable[] = [
  'leadership_positions',
  'leadership_structures',
];
/** Must be empty in the target (besides every exported table not in REPLACED_ON_IMPORT). */
const MUST_BE_EMPTY = ['import_jobs', 'import_rejections'];
/** Tables whose secondary indexes are built after the load rather than during it. */
const BULK_TABLES: RegisterTable[] = ['members', 'member_history', 'audit_events'];
const SEQUENCES = ['membership_number_seq', 'member_history_id_seq'];
/** Never exported: password hashes stay with the old deployment. */
const NEVER_EXPORTED: Partial<Record<RegisterTable, string[]>> = { users: ['password_hash'] };
const ID_NUMBER_COLUMNS: Partial<Record<RegisterTable, string[]>> = {
  members: ['id_number'],
  membership_applications: ['id_number'],
};
/** JSON keys that may carry an ID number inside audit changes and history details. */
const ID_NUMBER_KEYS = ['idNumber', 'id_number'];
const JSON_COLUMNS: Partial<Record<RegisterTable, string>> = {
  audit_events: 'changes',
  member_history: 'details',
};

const UNUSABLE_HASH = '!imported';
const MAGIC = Buffer.from('EFFREG1\n');
const IV_BYTES = 12;
const KEY_CHECK_BYTES = 16;
const TAG_BYTES = 16;
const HEADER_BYTES = MAGIC.length + KEY_CHECK_BYTES + IV_BYTES;
const END_OF_TABLE = '\\.';
const SESSION_SETTINGS = [
  "SET LOCAL TIME ZONE 'UTC'",
  "SET LOCAL DateStyle = 'ISO, YMD'",
  "SET LOCAL IntervalStyle = 'postgres'",
  'SET LOCAL extra_float_digits = 3',
  "SET LOCAL bytea_output = 'hex'",
];

export interface TableManifest {
  table: RegisterTable;
  columns: string[];
  rows: number;
  /** SHA-256 of the table's COPY text output, rows ordered by primary key. */
  sha256: string;
}

export interface RegisterManifest {
  format: 'eff-register/1';
  snapshotAt: string;
  migration: string;
  idNumbers: boolean;
  sequences: Record<string, string>;
  tables: TableManifest[];
}

/** A refusal the operator can act on; the CLI prints the message and exits with `exitCode`. */
export class RegisterArchiveError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export const EXIT = { badKey: 3, badArchive: 4, targetNotEmpty: 5, mismatch: 6 } as const;

/** REGISTER_EXPORT_KEY: base64 of 32 random bytes (`openssl rand -base64 32`). */
export function registerKey(env: NodeJS.ProcessEnv = process.env): Buffer {
  const raw = env.REGISTER_EXPORT_KEY;
  if (!raw) {
    throw new RegisterArchiveError(
      'REGISTER_EXPORT_KEY is not set: base64 of 32 random bytes (openssl rand -base64 32), kept outside the repo',
      EXIT.badKey,
    );
  }
  const key = Buffer.from(raw, 'base64');
  if (key.length !== 32 || key.toString('base64') !== raw.trim()) {
    throw new RegisterArchiveError(
      'REGISTER_EXPORT_KEY must be base64 of exactly 32 bytes',
      EXIT.badKey,
    );
  }
  return key;
}

function keyCheck(key: Buffer): Buffer {
  return createHmac('sha256', key)
    .update('eff-register-export key check')
    .digest()
    .subarray(0, KEY_CHECK_BYTES);
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

async function columnsOf(client: Client, table: RegisterTable): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT attname AS name FROM pg_attribute
      WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [table],
  );
  return rows.map((r) => r.name);
}

async function primaryKeyOf(client: Client, table: RegisterTable): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT a.attname AS name FROM pg_index i
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
      WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)`,
    [table],
  );
  return rows.map((r) => r.name);
}

/** The exported columns of a table and the SELECT that yields them in a stable order. */
async function tableQuery(client: Client, table: RegisterTable, idNumbers: boolean) {
  const hidden = new Set([
    ...(NEVER_EXPORTED[table] ?? []),
    ...(idNumbers ? [] : (ID_NUMBER_COLUMNS[table] ?? [])),
  ]);
  const columns = (await columnsOf(client, table)).filter((c) => !hidden.has(c));
  const jsonColumn = JSON_COLUMNS[table];
  const select = columns.map((c) =>
    !idNumbers && c === jsonColumn
      ? `${quote(c)} ${ID_NUMBER_KEYS.map((k) => `- '${k}'`).join(' ')} AS ${quote(c)}`
      : quote(c),
  );
  const order = (await primaryKeyOf(client, table)).map(quote).join(', ');
  return {
    columns,
    sql: `SELECT ${select.join(', ')} FROM ${quote(table)} ORDER BY ${order}`,
  };
}

async function latestMigration(client: Client): Promise<string> {
  const { rows } = await client.query<{ name: string }>(
    'SELECT name FROM typeorm_migrations ORDER BY timestamp DESC LIMIT 1',
  );
  if (!rows[0]) throw new RegisterArchiveError('the database is not migrated', EXIT.badArchive);
  return rows[0].name;
}

/** Counts COPY text rows and hashes them while passing them on. */
class RowDigest extends Transform {
  readonly hash: Hash = createHash('sha256');
  rows = 0;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
    this.hash.update(chunk);
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) this.rows++;
    done(null, chunk);
  }
}

/** COPY (query) TO STDOUT, hashed and counted; the rows go to `sink` when given, without ending it. */
async function copyOut(client: Client, sql: string, sink?: Writable) {
  const digest = new RowDigest();
  const source = client.query(copyTo(`COPY (${sql}) TO STDOUT`));
  const drain = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!sink || sink.write(chunk)) done();
      else sink.once('drain', () => done());
    },
  });
  await pipeline(source, digest, drain);
  return { rows: digest.rows, sha256: digest.hash.digest('hex') };
}

export interface ExportOptions {
  databaseUrl: string;
  out: string;
  key: Buffer;
  idNumbers: boolean;
}

/** One REPEATABLE READ, read-only transaction streamed through gzip and AES-256-GCM into `out`. */
export async function exportRegister(options: ExportOptions): Promise<RegisterManifest> {
  const client = new Client({ connectionString: options.databaseUrl });
  await client.connect();
  const iv = randomBytes(IV_BYTES);
  const header = Buffer.concat([MAGIC, keyCheck(options.key), iv]);
  const cipher = createCipheriv('aes-256-gcm', options.key, iv);
  cipher.setAAD(header);
  const gzip = createGzip({ level: 6 });
  const file = createWriteStream(options.out, { mode: 0o600 });
  file.write(header);
  const written = pipeline(gzip, cipher, file, { end: false });
  const write = (text: string) =>
    new Promise<void>((resolve) => (gzip.write(text) ? resolve() : gzip.once('drain', resolve)));
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    for (const setting of SESSION_SETTINGS) await client.query(setting);
    const { rows: now } = await client.query<{ at: Date }>('SELECT now() AS at');
    const manifest: RegisterManifest = {
      format: 'eff-register/1',
      snapshotAt: now[0]!.at.toISOString(),
      migration: await latestMigration(client),
      idNumbers: options.idNumbers,
      sequences: {},
      tables: [],
    };
    const { format, snapshotAt, migration, idNumbers } = manifest;
    // Repeated first, so an import can refuse an incompatible archive before loading anything.
    await write(`#snapshot ${JSON.stringify({ format, snapshotAt, migration, idNumbers })}\n`);
    for (const sequence of SEQUENCES) {
      const { rows } = await client.query<{ v: string }>(
        `SELECT last_value::text AS v FROM ${quote(sequence)}`,
      );
      manifest.sequences[sequence] = rows[0]!.v;
    }
    for (const table of TABLES) {
      const { columns, sql } = await tableQuery(client, table, options.idNumbers);
      await write(`#table ${JSON.stringify({ table, columns })}\n`);
      const { rows, sha256 } = await copyOut(client, sql, gzip);
      await write(`${END_OF_TABLE}\n`);
      manifest.tables.push({ table, columns, rows, sha256 });
    }
    await client.query('COMMIT');
    gzip.end(`#manifest ${JSON.stringify(manifest)}\n`);
    await written;
    file.write(cipher.getAuthTag());
    await new Promise<void>((resolve, reject) =>
      file.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
    return manifest;
  } catch (error) {
    gzip.destroy();
    file.destroy();
    rmSync(options.out, { force: true });
    throw error;
  } finally {
    await client.end();
  }
}

/** The archive's header and tag, checked against the key before anything is decrypted. */
function openArchive(file: string, key: Buffer) {
  const size = statSync(file).size;
  if (size < HEADER_BYTES + TAG_BYTES) {
    throw new RegisterArchiveError(
      `${file} is not a register archive (too short)`,
      EXIT.badArchive,
    );
  }
  const fd = openSync(file, 'r');
  const header = Buffer.alloc(HEADER_BYTES);
  const tag = Buffer.alloc(TAG_BYTES);
  try {
    readSync(fd, header, 0, HEADER_BYTES, 0);
    readSync(fd, tag, 0, TAG_BYTES, size - TAG_BYTES);
  } finally {
    closeSync(fd);
  }
  if (!header.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new RegisterArchiveError(`${file} is not a register archive`, EXIT.badArchive);
  }
  if (!header.subarray(MAGIC.length, MAGIC.length + KEY_CHECK_BYTES).equals(keyCheck(key))) {
    throw new RegisterArchiveError(
      'REGISTER_EXPORT_KEY is not the key this archive was encrypted with',
      EXIT.badKey,
    );
  }
  const decipher = createDecipheriv(
    'aes-256-gcm',
    key,
    header.subarray(MAGIC.length + KEY_CHECK_BYTES),
  );
  decipher.setAAD(header);
  decipher.setAuthTag(tag);
  const ciphertext = createReadStream(file, { start: HEADER_BYTES, end: size - TAG_BYTES - 1 });
  return { decipher, ciphertext };
}

/**
 * The archive's plaintext lines. Decryption is authenticated only at the end (GCM), so callers must treat
 * everything as provisional (inside a transaction) until the iteration finishes without error.
 */
export async function* archiveLines(file: string, key: Buffer): AsyncGenerator<string> {
  const { decipher, ciphertext } = openArchive(file, key);
  const gunzip = createGunzip();
  const plain: Readable = ciphertext.pipe(decipher).pipe(gunzip);
  let failure: unknown;
  for (const stream of [ciphertext, decipher, gunzip] as Readable[]) {
    stream.on('error', (error) => {
      failure ??= error;
      plain.destroy(error);
    });
  }
  const decoder = new StringDecoder('utf8');
  let rest = '';
  try {
    for await (const chunk of plain) {
      const lines = (rest + decoder.write(chunk as Buffer)).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) yield line;
    }
    rest += decoder.end();
    if (rest) yield rest;
  } catch (error) {
    failure ??= error;
  }
  if (failure) {
    throw new RegisterArchiveError(
      `the archive is corrupted or was tampered with (${failure instanceof Error ? failure.message : 'unreadable'})`,
      EXIT.badArchive,
    );
  }
}

/** Reads the manifest at the end of an archive (decrypting and checking all of it). */
export async function readManifest(file: string, key: Buffer): Promise<RegisterManifest> {
  let manifest: RegisterManifest | undefined;
  for await (const line of archiveLines(file, key)) {
    if (line.startsWith('#manifest ')) manifest = JSON.parse(line.slice(10)) as RegisterManifest;
  }
  if (!manifest) throw new RegisterArchiveError('the archive has no manifest', EXIT.badArchive);
  return manifest;
}

export interface ImportOptions {
  databaseUrl: string;
  in: string;
  key: Buffer;
  log: (message: string) => void;
}

async function ensureEmptyTarget(client: Client) {
  const tables = [...TABLES.filter((t) => !REPLACED_ON_IMPORT.includes(t)), ...MUST_BE_EMPTY];
  const occupied: string[] = [];
  for (const table of tables) {
    const { rows } = await client.query(`SELECT 1 FROM ${quote(table)} LIMIT 1`);
    if (rows.length > 0) occupied.push(table);
  }
  if (occupied.length > 0) {
    throw new RegisterArchiveError(
      `import-register only loads into an empty register; the target already has rows in ${occupied.join(', ')}. ` +
        'Create a new database, run `migrate` on it (and nothing else), then import.',
      EXIT.targetNotEmpty,
    );
  }
}

/** Writes COPY text lines to a COPY FROM STDIN stream in chunks. */
class CopyLoader {
  private buffer: string[] = [];
  private size = 0;
  private readonly done: Promise<void>;
  private readonly stream: Writable;

  constructor(client: Client, table: RegisterTable, columns: string[]) {
    this.stream = client.query(
      copyFrom(`COPY ${quote(table)} (${columns.map(quote).join(', ')}) FROM STDIN`),
    );
    this.done = new Promise((resolve, reject) => {
      this.stream.on('finish', resolve);
      this.stream.on('error', reject);
    });
  }

  async add(line: string) {
    this.buffer.push(line);
    this.size += line.length + 1;
    if (this.size >= 1 << 20) await this.flush();
  }

  private async flush() {
    if (this.buffer.length === 0) return;
    const chunk = `${this.buffer.join('\n')}\n`;
    this.buffer = [];
    this.size = 0;
    if (!this.stream.write(chunk)) {
      await new Promise<void>((resolve) => this.stream.once('drain', resolve));
    }
  }

  /** Ends the COPY with a CopyFail, so the connection can roll back. */
  async abort(error: unknown) {
    this.stream.destroy(error instanceof Error ? error : new Error(String(error)));
    await this.done.catch(() => undefined);
  }

  async end() {
    await this.flush();
    this.stream.end();
    await this.done;
  }
}

/**
 * Loads an archive made with --include-id-numbers into an empty, migrated database in one transaction, then
 * re-reads every table in the archive's order and compares counts and SHA-256 with the manifest (rolls back on
 * a mismatch). No trigger is disabled: audit_events refuses UPDATE/DELETE, not INSERT.
 */
export async function importRegister(options: ImportOptions): Promise<RegisterManifest> {
  openArchive(options.in, options.key).ciphertext.destroy();
  const client = new Client({ connectionString: options.databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
    for (const setting of SESSION_SETTINGS) await client.query(setting);
    await ensureEmptyTarget(client);
    const migration = await latestMigration(client);
    for (const table of [...REPLACED_ON_IMPORT].reverse()) {
      await client.query(`DELETE FROM ${quote(table)}`);
    }
    // Replaced by lockImportedAccounts before the commit; the default is dropped again in this transaction.
    await client.query(
      `ALTER TABLE users ALTER COLUMN password_hash SET DEFAULT '${UNUSABLE_HASH}'`,
    );
    const deferred = await dropSecondaryIndexes(client);
    let loader: CopyLoader | undefined;
    let manifest: RegisterManifest | undefined;
    const loaded: { table: RegisterTable; columns: string[] }[] = [];
    const lines = archiveLines(options.in, options.key);
    for await (const line of abortingCopy(lines, () => loader)) {
      if (loader) {
        if (line === END_OF_TABLE) {
          await loader.end();
          loader = undefined;
        } else await loader.add(line);
      } else if (line.startsWith('#table ')) {
        const section = JSON.parse(line.slice(7)) as { table: RegisterTable; columns: string[] };
        if (!TABLES.includes(section.table)) {
          throw new RegisterArchiveError(
            `unknown table ${section.table} in the archive`,
            EXIT.badArchive,
          );
        }
        if (section.table === 'members' && !section.columns.includes('id_number')) throw redacted();
        loader = new CopyLoader(client, section.table, section.columns);
        loaded.push(section);
      } else if (line.startsWith('#manifest ')) {
        manifest = JSON.parse(line.slice(10)) as RegisterManifest;
        checkCompatible(manifest, migration);
      } else if (line.startsWith('#snapshot ')) {
        checkCompatible(JSON.parse(line.slice(10)) as RegisterManifest, migration);
      } else {
        throw new RegisterArchiveError('the archive is malformed', EXIT.badArchive);
      }
    }
    if (!manifest || loader)
      throw new RegisterArchiveError('the archive is incomplete', EXIT.badArchive);
    for (const definition of deferred) await client.query(definition);
    for (const [sequence, value] of Object.entries(manifest.sequences)) {
      await client.query('SELECT setval($1::regclass, $2::bigint)', [sequence, value]);
    }
    const mismatches: string[] = [];
    for (const expected of manifest.tables) {
      const columns = expected.columns.map(quote).join(', ');
      const order = (await primaryKeyOf(client, expected.table)).map(quote).join(', ');
      const actual = await copyOut(
        client,
        `SELECT ${columns} FROM ${quote(expected.table)} ORDER BY ${order}`,
      );
      if (actual.rows !== expected.rows || actual.sha256 !== expected.sha256) {
        mismatches.push(
          `${expected.table}: ${actual.rows} rows (manifest ${expected.rows}), sha256 ${actual.sha256 === expected.sha256 ? 'matches' : 'differs'}`,
        );
      }
    }
    if (mismatches.length > 0 || loaded.length !== manifest.tables.length) {
      throw new RegisterArchiveError(
        `the loaded register does not match the manifest; nothing was imported:\n  ${mismatches.join('\n  ')}`,
        EXIT.mismatch,
      );
    }
    await client.query('ALTER TABLE users ALTER COLUMN password_hash DROP DEFAULT');
    await lockImportedAccounts(client);
    await refreshStatistics(client);
    await client.query('COMMIT');
    return manifest;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}

/** Passes the lines on; when reading them fails, aborts the COPY in progress first. */
async function* abortingCopy(
  lines: AsyncGenerator<string>,
  current: () => CopyLoader | undefined,
): AsyncGenerator<string> {
  try {
    yield* lines;
  } catch (error) {
    await current()?.abort(error);
    throw error;
  }
}

/**
 * Drops the secondary indexes (those no constraint owns) of the big tables for the load and returns their
 * definitions, to be built once at the end: far faster than maintaining them row by row. All inside the import's
 * transaction, so a failed import leaves them as they were.
 */
async function dropSecondaryIndexes(client: Client): Promise<string[]> {
  const { rows } = await client.query<{ name: string; definition: string }>(
    `SELECT i.relname AS name, pg_get_indexdef(i.oid) AS definition
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
      WHERE x.indrelid = ANY ($1::regclass[])
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)`,
    [BULK_TABLES],
  );
  for (const { name } of rows) await client.query(`DROP INDEX ${quote(name)}`);
  await client.query("SET LOCAL maintenance_work_mem = '256MB'");
  return rows.map((r) => r.definition);
}

function checkCompatible(
  archive: Pick<RegisterManifest, 'idNumbers' | 'migration'>,
  migration: string,
) {
  if (!archive.idNumbers) throw redacted();
  if (archive.migration !== migration) {
    throw new RegisterArchiveError(
      `the archive was taken at migration ${archive.migration}, the target is at ${migration}; ` +
        'bring the target to the same migration first',
      EXIT.mismatch,
    );
  }
}

/** refresh_statistics() from the migration that added it; before it, the materialized views one by one. */
async function refreshStatistics(client: Client) {
  const { rows } = await client.query<{ fn: string | null }>(
    "SELECT to_regprocedure('refresh_statistics()')::text AS fn",
  );
  if (rows[0]?.fn) {
    await client.query('SELECT refresh_statistics()');
    return;
  }
  const views = await client.query<{ name: string }>(
    "SELECT matviewname AS name FROM pg_matviews WHERE schemaname = 'public'",
  );
  for (const { name } of views.rows) await client.query(`REFRESH MATERIALIZED VIEW ${quote(name)}`);
}

function redacted() {
  return new RegisterArchiveError(
    'this archive was exported without --include-id-numbers: it is for reading (e.g. by an auditor), ' +
      'not a full register, and cannot be imported',
    EXIT.badArchive,
  );
}

/** Password hashes are not exported: each imported account gets an unusable random one and must be reset. */
async function lockImportedAccounts(client: Client) {
  const { rows } = await client.query<{ id: string }>('SELECT id FROM users');
  for (const { id } of rows) {
    await client.query(
      'UPDATE users SET password_hash = $2, password_change_required = true WHERE id = $1',
      [id, await hashPassword(randomBytes(32).toString('base64url'))],
    );
  }
}
