import { RefreshOutcome, Session, SessionStore } from './session.store.js';

interface Entry extends Session {
  usedHashes: Set<string>;
}

function toSession({ usedHashes: _usedHashes, ...session }: Entry): Session {
  return session;
}

/** Sessions in this process only: for a single process without Redis (the embedded default). */
export class MemorySessionStore extends SessionStore {
  private readonly sessions = new Map<string, Entry>();
  private readonly byUser = new Map<string, Set<string>>();

  async create(session: Session): Promise<void> {
    this.sessions.set(session.id, { ...session, usedHashes: new Set() });
    const ids = this.byUser.get(session.userId) ?? new Set<string>();
    ids.add(session.id);
    this.byUser.set(session.userId, ids);
  }

  private live(sessionId: string): Entry | null {
    const entry = this.sessions.get(sessionId);
    if (!entry) return null;
    if (entry.expiresAt <= Date.now()) {
      this.delete(entry);
      return null;
    }
    return entry;
  }

  async isLive(sessionId: string): Promise<boolean> {
    return this.live(sessionId) !== null;
  }

  async get(sessionId: string): Promise<Session | null> {
    const entry = this.live(sessionId);
    return entry ? toSession(entry) : null;
  }

  async rotate(
    sessionId: string,
    presentedHash: string,
    nextHash: string,
    expiresAt: number,
  ): Promise<RefreshOutcome> {
    const entry = this.live(sessionId);
    if (!entry) return RefreshOutcome.Unknown;
    if (entry.refreshHash === presentedHash) {
      entry.usedHashes.add(presentedHash);
      entry.refreshHash = nextHash;
      entry.expiresAt = expiresAt;
      entry.lastUsedAt = Date.now();
      return RefreshOutcome.Rotated;
    }
    if (entry.usedHashes.has(presentedHash)) {
      this.delete(entry);
      return RefreshOutcome.Reused;
    }
    return RefreshOutcome.Unknown;
  }

  async revoke(sessionId: string): Promise<void> {
    const entry = this.sessions.get(sessionId);
    if (entry) this.delete(entry);
  }

  async listForUser(userId: string): Promise<Session[]> {
    const sessions: Session[] = [];
    for (const id of this.byUser.get(userId) ?? []) {
      const entry = this.live(id);
      if (entry) sessions.push(toSession(entry));
    }
    return sessions.sort((a, b) => a.createdAt - b.createdAt);
  }

  async revokeAllForUser(userId: string): Promise<string[]> {
    const ids = [...(this.byUser.get(userId) ?? [])];
    for (const id of ids) await this.revoke(id);
    return ids;
  }

  async countLive(): Promise<number> {
    let count = 0;
    for (const id of [...this.sessions.keys()]) if (this.live(id)) count += 1;
    return count;
  }

  private delete(entry: Entry): void {
    this.sessions.delete(entry.id);
    this.byUser.get(entry.userId)?.delete(entry.id);
  }
}
