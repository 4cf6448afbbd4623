import { createHash, randomBytes } from 'node:crypto';

export interface Session {
  id: string;
  userId: string;
  /** sha256 of the refresh token currently valid for this session. */
  refreshHash: string;
  createdAt: number;
  expiresAt: number;
  /** When the session last refreshed its tokens (its creation until then). */
  lastUsedAt?: number;
  /** Client address and user agent at sign-in, as the caller may see them in its session list. */
  address?: string;
  userAgent?: string;
}

export enum RefreshOutcome {
  Rotated = 'rotated',
  /** A refresh token already used: the session (the whole family of rotated tokens) is revoked. */
  Reused = 'reused',
  Unknown = 'unknown',
}

export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

/** Refresh tokens read `<sessionId>.<secret>`: the id finds the session, the secret proves possession. */
export function parseRefreshToken(token: string): { sessionId: string; secret: string } | null {
  const match = /^([A-Za-z0-9_-]{16,64})\.([A-Za-z0-9_-]{32,64})$/.exec(token);
  return match ? { sessionId: match[1] as string, secret: match[2] as string } : null;
}

/**
 * Where sessions live: Redis when REDIS_URL is set (shared by every process), else this process's memory.
 * A session exists while it is live; revoking deletes it, so every process sees the revocation at once.
 */
export abstract class SessionStore {
  abstract create(session: Session): Promise<void>;
  /**
   * Whether the session is live. Throws when the store cannot answer (callers fail closed). `userId`, the
   * session's user from the verified token, lets a cache forget the session when all of the user's are revoked.
   */
  abstract isLive(sessionId: string, userId?: string): Promise<boolean>;
  /** Swaps the refresh hash if `presentedHash` is current; revokes the session if it was already used. */
  abstract rotate(
    sessionId: string,
    presentedHash: string,
    nextHash: string,
    expiresAt: number,
  ): Promise<RefreshOutcome>;
  abstract get(sessionId: string): Promise<Session | null>;
  abstract revoke(sessionId: string): Promise<void>;
  /** The user's live sessions, oldest first. */
  abstract listForUser(userId: string): Promise<Session[]>;
  /** Revokes every session of the user; returns their ids. */
  abstract revokeAllForUser(userId: string): Promise<string[]>;
  abstract countLive(): Promise<number>;
}
