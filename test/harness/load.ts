/** What happened to one request of a load run. */
export interface Outcome {
  /** ms since the run started */
  start: number;
  end: number;
  status: number | null;
  /** Set when no HTTP answer came (connection refused/reset, timeout). */
  error?: string;
  retryAfter: string | null;
  contentType: string | null;
  body: string;
  tag: string;
}

export interface LoadRun {
  /** ms since the run started */
  now(): number;
  outcomes: Outcome[];
  /** Stops issuing requests and waits for the outstanding ones. */
  stop(): Promise<Outcome[]>;
}

export interface LoadRequest {
  url: string;
  init?: RequestInit;
  tag?: string;
}

/**
 * Real load: `concurrency` workers each sending one request after another until stopped (fetch, keep-alive).
 * `next(i)` builds request number i. Nothing is retried; every answer or failure is recorded.
 */
export function runLoad(
  concurrency: number,
  next: (i: number) => LoadRequest,
  timeoutMs = 30_000,
): LoadRun {
  const t0 = Date.now();
  const now = (): number => Date.now() - t0;
  const outcomes: Outcome[] = [];
  let stopped = false;
  let counter = 0;
  const worker = async (): Promise<void> => {
    while (!stopped) {
      const request = next(counter++);
      const start = now();
      try {
        const res = await fetch(request.url, {
          ...request.init,
          signal: AbortSignal.timeout(timeoutMs),
        });
        const body = await res.text();
        outcomes.push({
          start,
          end: now(),
          status: res.status,
          retryAfter: res.headers.get('retry-after'),
          contentType: res.headers.get('content-type'),
          body,
          tag: request.tag ?? '',
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause;
        outcomes.push({
          start,
          end: now(),
          status: null,
          error: cause?.code ?? (error instanceof Error ? error.message : String(error)),
          retryAfter: null,
          contentType: null,
          body: '',
          tag: request.tag ?? '',
        });
      }
    }
  };
  const workers = Array.from({ length: concurrency }, () => worker());
  return {
    now,
    outcomes,
    stop: async () => {
      stopped = true;
      await Promise.all(workers);
      return outcomes;
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
