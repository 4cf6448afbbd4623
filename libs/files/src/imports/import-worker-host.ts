import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { projectPath, projectRoot } from '@app/core';
import type { JobCounters } from './batch-writer.js';
import type { ImportWorkerData, ImportWorkerMessage, ImportWorkerStop } from './import-worker.js';
import { ImportFailure } from './row-kind.js';

/** The message a job fails with when its worker ends without saying how (a crash, a lost connection). */
export const UNEXPECTED_IMPORT_ERROR = 'The import stopped on an unexpected error';

export interface ImportWorkerHandlers {
  progress(counters: JobCounters): void;
  /** An event the kind's session emitted (BatchContext.emit). */
  event(event: unknown): void;
}

export interface ImportWorkerRun {
  threadId: number;
  /** Settles once the thread has ended: resolves when every row was written, rejects with ImportFailure else. */
  finished: Promise<void>;
  /** Asks the worker to stop at its next batch (the job then fails with "The server is shutting down."). */
  stop(): void;
}

/**
 * The compiled module `file` (e.g. 'import-worker.js') in the directory `dirname` of a source file: next to it in
 * dist; under ts-jest the source runs from its .ts, and a worker (plain node, no TypeScript) runs the build's copy
 * instead (npm test builds first). A kind's registration names its worker module with this.
 */
export function compiledModule(dirname: string, file: string): string {
  const compiled = path.join(dirname, file);
  if (existsSync(compiled)) return compiled;
  return projectPath('dist', path.relative(projectRoot(), dirname), file);
}

export function importWorkerFile(): string {
  return compiledModule(import.meta.dirname, 'import-worker.js');
}

const IMPORT_WORKER_YOUNG_MB = 8;

/** Starts a worker thread on the job's rows (import-worker.ts) and relays what it reports. */
export function startImportWorker(
  data: ImportWorkerData,
  handlers: ImportWorkerHandlers,
): ImportWorkerRun {
  const worker = new Worker(importWorkerFile(), {
    workerData: data,
    // A second V8 heap in the API process: a small young generation keeps its share of the RSS small (the thread
    // runs at a lower priority, so its extra scavenges cost requests nothing); the old generation holds one batch.
    resourceLimits: {
      maxYoungGenerationSizeMb: IMPORT_WORKER_YOUNG_MB,
      maxOldGenerationSizeMb: 160,
    },
  });
  let outcome: { ok: true } | { ok: false; message: string } | null = null;
  let crash: unknown = null;
  worker.on('message', (message: ImportWorkerMessage) => {
    switch (message.type) {
      case 'progress':
        handlers.progress(message.counters);
        break;
      case 'event':
        handlers.event(message.event);
        break;
      case 'done':
        outcome = { ok: true };
        break;
      case 'failed':
        outcome = { ok: false, message: message.message };
        break;
    }
  });
  worker.on('error', (error) => {
    crash = error;
  });
  const finished = new Promise<void>((resolve, reject) => {
    worker.once('exit', () => {
      const ended = outcome;
      if (ended?.ok) resolve();
      else if (ended) reject(new ImportFailure(ended.message));
      else reject(crash instanceof Error ? crash : new Error(UNEXPECTED_IMPORT_ERROR));
    });
  });
  return {
    threadId: worker.threadId,
    finished,
    stop: () => worker.postMessage({ type: 'stop' } satisfies ImportWorkerStop),
  };
}
