// The import's row work, on a worker thread (node:worker_threads) so that the API's event loop only serves
// requests: reads the file, validates each row as a single create would, and writes the batches over its own two
// connections. The main thread keeps the job's lock, lifecycle and progress events (import-worker-host.ts).
import { setPriority } from 'node:os';
import { isMainThread, parentPort, threadId, workerData } from 'node:worker_threads';
import pg from 'pg';
import type { Scope } from '@app/auth';
import { sslOptions } from '@app/core';
import type { AppConfig } from '@app/core';
import type { WardChain } from '@app/geography';
import { mapHeaders, HeaderMapping } from './import-columns.js';
import type { ImportFormat } from './import-job.entity.js';
import { checkRow, rejectedPreview, rowToBody } from './import-row.js';
import type { MembershipPolicy } from '../membership-dates.js';
import {
  Batch,
  BatchConnection,
  ImportFailure,
  JobCounters,
  writeBatch,
  WriterJob,
} from './row-writer.js';
import { readRows, UnreadableFileError, type ZipLimits } from '@app/files';

export interface ImportWorkerData {
  job: WriterJob & { format: ImportFormat; committedThroughRow: number };
  file: string;
  scope: Scope;
  wards: WardChain[];
  today: string;
  policy: MembershipPolicy;
  zipLimits: ZipLimits;
  batchSize: number;
  maxRows: number;
  conflictLimit: number;
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
  | { type: 'conflicts'; recorded: number }
  | { type: 'limited'; attempt: { refusedRows: number; limit: number } | null }
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

/** Reads, validates and writes every row after the job's last committed one. */
async function importRows(
  data: ImportWorkerData,
  connections: [Connection, Connection],
  post: (message: ImportWorkerMessage) => void,
  stopping: () => boolean,
): Promise<void> {
  const { job, scope, today, policy } = data;
  const wards = new Map(data.wards.map((w) => [w.wardCode, w]));
  const seen = new Map<string, number>();
  const events = {
    conflictsRecorded: (recorded: number) => post({ type: 'conflicts', recorded }),
    limited: (attempt: { refusedRows: number; limit: number } | null) =>
      post({ type: 'limited', attempt }),
  };
  let mapping: HeaderMapping | null = null;
  let dataRows = 0;
  let batch: Batch = { members: [], rejected: [], lastRow: job.committedThroughRow };
  // Up to two batches in flight, one per connection; each commits only after the one before it.
  let pending: Promise<void> | null = null;
  let before: Promise<void> | null = null;
  let batches = 0;
  const write = (previous: Promise<void> | null): Promise<void> =>
    writeBatch(
      connections[batches % 2]!,
      job,
      scope,
      batch,
      previous,
      data.conflictLimit,
      events,
    ).then((counters) => {
      if (counters) post({ type: 'progress', counters });
    });
  try {
    for await (const row of readRows(data.file, job.format, data.zipLimits)) {
      if (!mapping) {
        mapping = mapHeaders(row.cells);
        continue;
      }
      dataRows += 1;
      if (dataRows > data.maxRows) {
        throw new ImportFailure(`The file has more than ${data.maxRows} rows.`);
      }
      const body = rowToBody(row.cells, mapping.columns);
      if (row.rowNumber <= job.committedThroughRow) {
        // Committed before a crash: only remember its ID number, to find duplicates in the rest of the file.
        if (typeof body.idNumber === 'string') {
          const key = body.idNumber.replace(/[\s-]/g, '');
          if (!seen.has(key)) seen.set(key, row.rowNumber);
        }
        continue;
      }
      const result = checkRow(row.rowNumber, body, wards, scope, today, policy);
      if ('rejected' in result) {
        batch.rejected.push(result.rejected);
      } else {
        const first = seen.get(result.member.idNumber);
        if (first !== undefined) {
          batch.rejected.push(
            rejectedPreview(
              result.member,
              `idNumber: the same ID number is on row ${first} of this file`,
            ),
          );
        } else {
          seen.set(result.member.idNumber, row.rowNumber);
          batch.members.push(result.member);
        }
      }
      batch.lastRow = row.rowNumber;
      if (batch.members.length + batch.rejected.length >= data.batchSize) {
        if (stopping()) throw new ImportFailure('The server is shutting down.');
        // One batch is written while the next is parsed and validated; batches still commit in order.
        if (before) await before; // the batch that used this connection
        before = pending;
        pending = write(pending);
        batches += 1;
        pending.catch(() => undefined);
        batch = { members: [], rejected: [], lastRow: batch.lastRow };
      }
    }
    if (pending) await pending;
    pending = null;
    if (!mapping) throw new ImportFailure('The file is empty.');
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
  const clients = [connect(data), connect(data)] as const;
  try {
    await Promise.all(clients.map((c) => c.connect()));
    await importRows(
      data,
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
