/**
 * Anything that runs SQL on one connection: a TypeORM QueryRunner or an EntityManager bound to one (answers rows),
 * or a pg Client (answers a result with `rows`).
 */
export interface SingleConnection {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

function rowsOf(result: unknown): { taken?: boolean }[] {
  return (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as {
    taken?: boolean;
  }[];
}

/** A session-level advisory lock key: one bigint, or a (namespace, key) pair of ints. */
export type AdvisoryLockKey = number | readonly [namespace: number, key: number];

/**
 * "One process wins": runs `work` while this connection holds the advisory lock, or returns `{ ran: false }` at once
 * when another session (another process or host) holds it. The lock is released when `work` ends, even on error.
 * `connection` must stay the same physical connection throughout (a QueryRunner, not the pool).
 */
export async function whileHoldingClusterLock<T>(
  connection: SingleConnection,
  key: AdvisoryLockKey,
  work: () => Promise<T>,
): Promise<{ ran: true; value: T } | { ran: false }> {
  const args = typeof key === 'number' ? [key] : [key[0], key[1]];
  const placeholders = typeof key === 'number' ? '$1' : '$1, $2';
  const rows = rowsOf(
    await connection.query(`SELECT pg_try_advisory_lock(${placeholders}) AS taken`, args),
  );
  if (rows[0]?.taken !== true) return { ran: false };
  try {
    return { ran: true, value: await work() };
  } finally {
    await connection.query(`SELECT pg_advisory_unlock(${placeholders})`, args);
  }
}
