// Decorator-free, so the worker thread can use them without loading TypeORM's entity metadata.

export enum ImportStatus {
  Queued = 'queued',
  Running = 'running',
  Completed = 'completed',
  Failed = 'failed',
}

/** create: a row that already exists is rejected as a duplicate; upsert: the kind may update it instead. */
export enum ImportMode {
  Create = 'create',
  Upsert = 'upsert',
}
