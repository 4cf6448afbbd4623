// The import's row work, on a worker thread (node:worker_threads) so that the API's event loop only serves
// requests: reads the file, checks each row with the row kind, and writes the batches over its own two
// connections. The worker imports only the engine and the kind's module (workerData.kindModule); the main thread
// keeps the job's lock, lifecycle and progress events (import-worker-host.ts).
import { setPriority } from 'node:os';
import { pathToFileURL } from 'node:url';
import { isMainThread, parentPort, threadId, workerData } from 'node:worker_threads';
import pg from 'pg';
import { sslOptions } from '@app/core';
import type { AppConfig } from '@app/core';
import { UnreadableFileError } from '../file-errors.js';
import type { FileFormat } from '../file-format.js';
import { readRows } from '../row-sources.js';
import type { ZipLimits } from '../zip-limits.js';
import { JobCounters, writeBatch } from './batch-writer.js';
import {
  BatchConnection,
  ImportBatch,
  ImportFailure,
  ImportRowKind,
  ImportWorkerJob,
} from './row-kind.js';

export interface ImportWorkerData {
  /** Absolute path of the compiled module exporting the kind as `rowKind`. */
  kindModule: string;
  job: ImportWorkerJob;
  /** What the kind's registration built on the main thread for this job (structured-cloneable). */
  context: unknown;
  file: string;
  format: FileFormat;
  zipLimits: ZipLimits;
  batchSize: number;
  maxRows: number;
  nice: number;
  database: {
    url: string;
    config: Pick<
      AppConfig,
      | 'DATABASE_SSL_MODE'
      | 'DATABASE_SSL_CA_FILE'
      | 'DATABASE_STATEMENT_TIMEOUT_MS'
      | 'DATABASE_CONNECT_TIMEOUT_MS'
    >;
  };
}

/** Worker → main thread. Messages arrive in order; `done` or `failed` is the last one. */
export type ImportWorkerMessage =
  | { type: 'progress'; counters: JobCounters }
  | { type: 'event'; event: unknown }
  | { type: 'done' }
  | { type: 'failed'; message: string };

/** Main thread → worker: stop at the next batch (the server is shutting down). */
export interface ImportWorkerStop {
  type: 'stop';
}

/** The application_name of the worker's connections: this, then the worker's thread id ("… (thread 3)"). */
export const IMPORT_WORKER_APPLICATION = 'eff-membership-api import';

class Connection implements BatchConnection {
  inTransaction = false;

  constructor(readonly client: pg.Client) {}

  async query<T = unknown>(sql: string, parameters?: unknown[]): Promise<T[]> {
    return (await this.client.query(sql, parameters)).rows as T[];
  }

  async begin(): Promise<void> {
    await this.client.query('BEGIN');
    this.inTransaction = true;
  }

  async commit(): Promise<void> {
    this.inTransaction = false;
    await this.client.query('COMMIT');
  }

  async rollback(): Promise<void> {
    this.inTransaction = false;
    await this.client.query('ROLLBACK');
  }
}

function connect(data: ImportWorkerData): pg.Client {
  const { config } = data.database;
  return new pg.Client({
    connectionString: data.database.url,
    ssl: sslOptions(config) as pg.ClientConfig['ssl'],
    application_name: `${IMPORT_WORKER_APPLICATION} (thread ${threadId})`,
    connectionTimeoutMillis: config.DATABASE_CONNECT_TIMEOUT_MS,
    statement_timeout: config.DATABASE_STATEMENT_TIMEOUT_MS,
    idle_in_transaction_session_timeout: config.DATABASE_STATEMENT_TIMEOUT_MS * 2,
  });
}

async function loadKind(modulePath: string): Promise<ImportRowKind<unknown>> {
  const loaded = (await import(pathToFileURL(modulePath).href)) as {
    rowKind?: ImportRowKind<unknown>;
  };
  if (!loaded.rowKind) throw new Error(`${modulePath} exports no rowKind`);
  return loaded.rowKind;
}

/** Reads, checks and writes every row after the job's last committed one. */
async function importRows(
  data: ImportWorkerData,
  kind: ImportRowKind<unknown>,
  connections: [Connection, Connection],
  post: (message: ImportWorkerMessage) => void,
  stopping: () => boolean,
): Promise<void> {
  const { job } = data;
  const emit = (event: unknown): void => post({ type: 'event', event });
  let session: ReturnType<ImportRowKind<unknown>['open']> | null = null;
  let dataRows = 0;
  let batch: ImportBatch<unknown> = { rows: [], rejected: [], lastRow: job.committedThroughRow };
  // Up to two batches in flight, one per connection; each commits only after the one before it.
  let pending: Promise<void> | null = null;
  let before: Promise<void> | null = null;
  let batches = 0;
  const write = (previous: Promise<void> | null): Promise<void> =>
    writeBatch(connections[batches % 2]!, job.id, session!, batch, previous, emit).then(
      (counters) => {
        if (counters) post({ type: 'progress', counters });
      },
    );
  try {
    for await (const row of readRows(data.file, data.format, data.zipLimits)) {
      if (!session) {
        session = kind.open(job, kind.mapHeaders(row.cells), data.context);
        continue;
      }
      dataRows += 1;
      if (dataRows > data.maxRows) {
        throw new ImportFailure(`The file has more than ${data.maxRows} rows.`);
      }
      if (row.rowNumber <= job.committedThroughRow) {
        session.committed?.(row.rowNumber, row.cells);
        continue;
      }
      const result = session.check(row.rowNumber, row.cells);
      if ('rejected' in result) batch.rejected.push(result.rejected);
      else batch.rows.push(result.row);
      batch.lastRow = row.rowNumber;
      if (batch.rows.length + batch.rejected.length >= data.batchSize) {
        if (stopping()) throw new ImportFailure('The server is shutting down.');
        // One batch is written while the next is read and checked; batches still commit in order.
        if (before) await before; // the batch that used this connection
        before = pending;
        pending = write(pending);
        batches += 1;
        pending.catch(() => undefined);
        batch = { rows: [], rejected: [], lastRow: batch.lastRow };
      }
    }
    if (pending) await pending;
    pending = null;
    if (!session) throw new ImportFailure('The file is empty.');
    await write(null);
  } catch (error) {
    // Never leave a batch's transaction half-done behind a failure: let it commit or roll back first.
    if (pending) await pending.catch(() => undefined);
    throw error;
  }
}

/**
 * Runs the job and tells the main thread how it ended: `done`, or `failed` with a message for the uploader. An
 * unexpected error (a lost connection, a bug) is thrown on: the thread ends, and the main thread fails the job.
 */
async function main(data: ImportWorkerData): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const post = (message: ImportWorkerMessage): void => port.postMessage(message);
  let stop = false;
  const onMessage = (message: ImportWorkerStop): void => {
    if (message.type === 'stop') stop = true;
  };
  port.on('message', onMessage);
  if (data.nice > 0) {
    try {
      // On Linux, pid 0 is the calling thread: only the import's CPU work yields to the API's.
      setPriority(0, data.nice);
    } catch {
      // Not allowed here (some containers): the import runs at the API's priority.
    }
  }
  const kind = await loadKind(data.kindModule);
  const clients = [connect(data), connect(data)] as const;
  try {
    await Promise.all(clients.map((c) => c.connect()));
    await importRows(
      data,
      kind,
      [new Connection(clients[0]), new Connection(clients[1])],
      post,
      () => stop,
    );
    post({ type: 'done' });
  } catch (error) {
    if (error instanceof ImportFailure || error instanceof UnreadableFileError) {
      post({ type: 'failed', message: error.message });
    } else {
      throw error;
    }
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    port.off('message', onMessage); // lets the thread end
  }
}

if (!isMainThread) {
  main(workerData as ImportWorkerData).catch((error: unknown) => {
    // Ends the thread with this error (the main thread's 'error' event).
    setImmediate(() => {
      throw error;
    });
  });
}
