import type { Middleware } from 'openapi-fetch';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

/**
 * Where the client keeps the signed-in session's tokens (memory, storage, a state store). `set(null)` means the
 * session ended: the refresh token was refused, so the user has to sign in again.
 */
export interface SessionStore {
  get(): TokenPair | null | Promise<TokenPair | null>;
  set(tokens: TokenPair | null): void | Promise<void>;
}

/** A SessionStore in memory, e.g. `memorySession(loginResponse)`. */
export function memorySession(initial: TokenPair | null = null): SessionStore {
  let tokens = initial && { accessToken: initial.accessToken, refreshToken: initial.refreshToken };
  return {
    get: () => tokens,
    set: (next) => {
      tokens = next && { accessToken: next.accessToken, refreshToken: next.refreshToken };
    },
  };
}

type FetchFn = (input: Request) => Promise<Response>;

const REFRESH_PATH = '/api/v1/auth/refresh';
/** Answers where a 401 means wrong credentials or a spent refresh token, not an expired access token. */
const NO_RETRY = new Set(['/api/v1/auth/login', REFRESH_PATH]);

/**
 * Sends the session's access token, and on a 401 exchanges the refresh token once (one exchange in flight at a
 * time: concurrent 401s wait for it), stores the new pair and sends the request again with the new token. When
 * the exchange is refused the store is cleared and the original 401 is answered.
 */
export function sessionMiddleware(
  baseUrl: string,
  store: SessionStore,
  fetchFn: FetchFn = (request) => fetch(request),
): Middleware {
  const origin = baseUrl.replace(/\/+$/, '');
  // A request's body can be read once: keep a copy to send again after a refresh.
  const pending = new Map<string, { copy: Request; accessToken: string | null }>();
  let refreshing: Promise<TokenPair | null> | null = null;

  async function exchange(refreshToken: string): Promise<TokenPair | null> {
    const response = await fetchFn(
      new Request(`${origin}${REFRESH_PATH}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ refreshToken }),
      }),
    );
    if (!response.ok) {
      await response.body?.cancel();
      return null;
    }
    const pair = (await response.json()) as Partial<Record<keyof TokenPair, unknown>>;
    return typeof pair.accessToken === 'string' && typeof pair.refreshToken === 'string'
      ? { accessToken: pair.accessToken, refreshToken: pair.refreshToken }
      : null;
  }

  /** The pair after the refresh that `staleToken` calls for; the same refresh for every caller meanwhile. */
  async function refreshedAfter(staleToken: string | null): Promise<TokenPair | null> {
    const current = await store.get();
    if (!current) return null;
    if (current.accessToken !== staleToken) return current; // another request refreshed already
    refreshing ??= (async () => {
      try {
        const next = await exchange(current.refreshToken);
        await store.set(next);
        return next;
      } finally {
        refreshing = null;
      }
    })();
    return refreshing;
  }

  return {
    async onRequest({ request, id, schemaPath }) {
      if (refreshing) await refreshing.catch(() => undefined);
      const accessToken = (await store.get())?.accessToken ?? null;
      if (accessToken) request.headers.set('Authorization', `Bearer ${accessToken}`);
      if (!NO_RETRY.has(schemaPath)) pending.set(id, { copy: request.clone(), accessToken });
      return request;
    },
    async onResponse({ response, id }) {
      const sent = pending.get(id);
      pending.delete(id);
      if (!sent || response.status !== 401 || sent.accessToken === null) return undefined;
      const next = await refreshedAfter(sent.accessToken);
      if (!next) return undefined;
      await response.body?.cancel();
      sent.copy.headers.set('Authorization', `Bearer ${next.accessToken}`);
      return fetchFn(sent.copy);
    },
    onError({ id }) {
      pending.delete(id);
    },
  };
}
