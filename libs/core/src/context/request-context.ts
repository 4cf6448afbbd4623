import { AsyncLocalStorage } from 'node:async_hooks';

/** Who is asking and from where, for audit and logs; set per request by middleware and the auth guard. */
export interface RequestContextData {
  requestId: string | null;
  ip: string | null;
  userId: string | null;
}

const storage = new AsyncLocalStorage<RequestContextData>();

export const RequestContext = {
  run<T>(data: RequestContextData, fn: () => T): T {
    return storage.run(data, fn);
  },
  current(): RequestContextData {
    return storage.getStore() ?? { requestId: null, ip: null, userId: null };
  },
  /** Records the authenticated user on the current request's context. */
  setUser(userId: string): void {
    const store = storage.getStore();
    if (store) store.userId = userId;
  },
};
