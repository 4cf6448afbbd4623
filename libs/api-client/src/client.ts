import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema.js';
import { sessionMiddleware, type SessionStore } from './session.js';

/** The access token, or a function giving the current one (e.g. after a refresh); nothing sends no header. */
export type TokenSource =
  string | (() => string | null | undefined | Promise<string | null | undefined>);

export interface ApiClientOptions {
  token?: TokenSource;
  /**
   * The signed-in session's tokens: sends its access token and, on a 401, refreshes once and retries
   * (see sessionMiddleware). Use instead of `token`.
   */
  session?: SessionStore;
  /** Replaces the global fetch (tests, SSR). */
  fetch?: (input: Request) => Promise<Response>;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
}

export type ApiClient = Client<paths>;

/** Problem details: the body of every error answer (`error` of a failed call). */
export type ProblemDetails = components['schemas']['ProblemDetailsDto'];
export type Schemas = components['schemas'];

/**
 * A typed client for the API, generated from openapi.json. `baseUrl` is the server origin (the paths already
 * start with /api/v1), e.g. `createApiClient('https://members.example.org', { token })`.
 * Calls answer `{ data, error, response }`: `data` when 2xx, `error` (problem details) otherwise.
 */
export function createApiClient(baseUrl: string, options: ApiClientOptions = {}): ApiClient {
  const client = createClient<paths>({
    baseUrl: baseUrl.replace(/\/+$/, ''),
    headers: options.headers,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const { token, session } = options;
  if (session) client.use(sessionMiddleware(baseUrl, session, options.fetch));
  else if (token !== undefined) {
    const auth: Middleware = {
      async onRequest({ request }) {
        const value = typeof token === 'function' ? await token() : token;
        if (value) request.headers.set('Authorization', `Bearer ${value}`);
        return request;
      },
    };
    client.use(auth);
  }
  return client;
}
