// Read replicas on a real PostgreSQL 15 primary + streaming replica (Debian's binaries, initdb + pg_basebackup -R,
// started here on loopback): member lists go to the replica, writes and the writer's own reads to the primary, a
// lagging or stopped replica leaves the rotation and reads fall back to the primary without a 5xx.
import { jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { bearer, createUser, loginAsSuperAdmin, Session, TestUser } from '../harness/auth.js';
import { describeNeedingDebian, ensureDebianPrograms } from '../harness/debian.js';
import { createMember, WARDS } from '../harness/members.js';
import { insertMember } from '../harness/leadership-fixtures.js';
import { runLoad, sleep } from '../harness/load.js';
import {
  PG_DEBIAN_PROGRAMS,
  ReplicatedPostgres,
  startReplicatedPostgres,
} from '../harness/pg-replication.js';
import { RunningApp, startApp, testRedisUrl } from '../harness/test-app.js';

jest.setTimeout(120_000);

const MAX_LAG_MS = 3000;
const CHECK_MS = 250;

/** A surname no other test uses: letters only, as the DTO wants. */
function uniqueSurname(): string {
  const letters = [...randomBytes(8)].map((b) => String.fromCharCode(97 + (b % 26))).join('');
  return `Replica${letters}`;
}

async function metric(app: RunningApp, name: string): Promise<number | null> {
  const text = await (await fetch(`${app.baseUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').pop()) : null;
}

async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describeNeedingDebian(PG_DEBIAN_PROGRAMS)(
  'read replicas (PostgreSQL streaming replication)',
  () => {
    let pg: ReplicatedPostgres;
    /** The environment of the API processes (a second one shares its Redis prefix). */
    let env: Record<string, string>;
    let app: RunningApp;
    let admin: Session;
    /** Never writes: its reads may go to the replica. */
    let reader: TestUser;

    const search = (session: Session, q: string) =>
      app
        .http()
        .get('/api/v1/members')
        .query({ q, limit: 5 })
        .set(...bearer(session));
    const inRotation = () => metric(app, 'eff_db_replica_in_rotation');

    beforeAll(async () => {
      ensureDebianPrograms(PG_DEBIAN_PROGRAMS);
      pg = await startReplicatedPostgres();
      env = {
        DATABASE_REPLICA_URLS: pg.replicaUrl,
        DATABASE_REPLICA_MAX_LAG_MS: String(MAX_LAG_MS),
        DATABASE_REPLICA_CHECK_INTERVAL_MS: String(CHECK_MS),
        DATABASE_READ_YOUR_WRITES_MS: String(MAX_LAG_MS + CHECK_MS + 2000),
        REDIS_URL: testRedisUrl(),
        REDIS_KEY_PREFIX: `replicas-${randomBytes(3).toString('hex')}:`,
        STATS_CACHE_TTL_SECONDS: '0',
        // The fallback test runs a closed loop for several seconds; the per-address limit is not under test here.
        THROTTLE_LIMIT: '1000000',
      };
      app = await startApp(pg.database, env);
      admin = await loginAsSuperAdmin(app);
      reader = await createUser(app, admin, 'national_admin', 'national', null);
      await until('the replica in rotation', async () => (await inRotation()) === 1);
    }, 180_000);

    afterAll(async () => {
      await app?.stop();
      await pg?.close();
    });

    afterEach(async () => {
      await pg.replicaPool.query('SELECT pg_wal_replay_resume()').catch(() => undefined);
    });

    it('serves member lists from the replica and writes (and the writer’s own reads) from the primary', async () => {
      // Replay paused: the replica keeps the state before the writes below.
      await pg.replicaPool.query('SELECT pg_wal_replay_pause()');
      const hidden = uniqueSurname();
      await insertMember(pg.database.pool, WARDS.own, { surname: hidden });
      // The reader (no write of their own) is served by the replica, which has not replayed the insert.
      const fromReplica = await search(reader, hidden);
      expect(fromReplica.status).toBe(200);
      expect(fromReplica.body.data).toEqual([]);
      // The marker above (a row the replica cannot have) is the proof; the replica's sessions show who asked.
      const replicaSessions = await pg.replicaPool.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'eff-membership-api-replica'",
      );
      expect(replicaSessions.rows[0]?.n).toBeGreaterThan(0);

      // The admin writes through the API (on the primary) and reads their write back at once: read-your-writes.
      const own = uniqueSurname();
      await createMember(app, admin, { surname: own });
      const mine = await search(admin, own);
      expect(mine.status).toBe(200);
      expect(mine.body.data.map((m: { surname: string }) => m.surname)).toEqual([own]);
      // ...while the reader, still on the paused replica, does not see it yet.
      expect((await search(reader, own)).body.data).toEqual([]);

      // Replay resumes: the reader sees both once the replica catches up.
      await pg.replicaPool.query('SELECT pg_wal_replay_resume()');
      await until('the replica to catch up', async () => {
        const res = await search(reader, hidden);
        return res.body.data.length === 1;
      });
    });

    it('keeps read-your-writes across API hosts: the writer’s next read on another process sees the write', async () => {
      const other = await startApp(pg.database, env);
      try {
        await until('the replica in rotation on the second process', async () => {
          return (await metric(other, 'eff_db_replica_in_rotation')) === 1;
        });
        await pg.replicaPool.query('SELECT pg_wal_replay_pause()');
        // A user of their own (no earlier write marks them) writes on the first process...
        const writer = await createUser(app, admin, 'national_admin', 'national', null);
        const own = uniqueSurname();
        await createMember(app, writer, { surname: own });
        // ...and reads on the second, which has no local mark: the mark in Redis sends the read to the primary.
        const mine = await other
          .http()
          .get('/api/v1/members')
          .query({ q: own, limit: 5 })
          .set(...bearer(writer));
        expect(mine.status).toBe(200);
        expect(mine.body.data.map((m: { surname: string }) => m.surname)).toEqual([own]);
        // The same read by someone who did not write is still the (paused) replica's.
        const theirs = await other
          .http()
          .get('/api/v1/members')
          .query({ q: own, limit: 5 })
          .set(...bearer(reader));
        expect(theirs.body.data).toEqual([]);
      } finally {
        await pg.replicaPool.query('SELECT pg_wal_replay_resume()');
        await other.stop();
      }
    });

    it('serves statistics, exports and the geography search from the replica too', async () => {
      const get = (url: string, session?: Session) => {
        const req = app.http().get(url);
        return session ? req.set(...bearer(session)) : req;
      };
      const STATS = [
        '/api/v1/stats/membership?level=province',
        '/api/v1/stats/standing?level=province&code=GP',
        '/api/v1/stats/growth?level=province&code=GP&interval=year&from=2023-01-01&to=2025-12-31',
      ];
      const token = randomBytes(4).toString('hex');
      const municipality = 'GT421';
      const { rows } = await pg.database.pool.query<{ name: string }>(
        'SELECT name FROM municipalities WHERE code = $1',
        [municipality],
      );
      const originalName = rows[0]!.name;

      await pg.replicaPool.query('SELECT pg_wal_replay_pause()');
      try {
        // What the replica holds while replay is paused.
        const statsBefore = await Promise.all(STATS.map((url) => get(url, reader)));
        for (const res of statsBefore) expect(res.status).toBe(200);

        // On the primary only: a member, the statistics refreshed, and a municipality renamed (markers).
        const hidden = uniqueSurname();
        await insertMember(pg.database.pool, WARDS.own, { surname: hidden });
        await pg.database.pool.query('SELECT refresh_statistics()');
        await pg.database.pool.query('UPDATE municipalities SET name = $1 WHERE code = $2', [
          `${originalName} Marker${token}`,
          municipality,
        ]);
        const primaryStats = await pg.database.pool.query<{ total: number }>(
          "SELECT sum(total)::int AS total FROM stats_ward_membership WHERE province_code = 'GP'",
        );

        // The reader (no write of their own) gets the replica's answers: the markers are absent.
        const statsDuring = await Promise.all(STATS.map((url) => get(url, reader)));
        statsDuring.forEach((res, i) =>
          expect([STATS[i], res.body]).toEqual([STATS[i], statsBefore[i]!.body]),
        );
        const gp = (body: { data: { code: string; total: number }[] }) =>
          body.data.find((area) => area.code === 'GP')?.total;
        expect(gp(statsDuring[0]!.body)).not.toBe(primaryStats.rows[0]?.total);

        const exported = await get(
          `/api/v1/members/export?format=csv&q=${encodeURIComponent(hidden)}`,
          reader,
        );
        expect(exported.status).toBe(200);
        expect(exported.text).not.toContain(hidden);

        const found = await get(`/api/v1/geography/search?q=marker${token}`);
        expect(found.status).toBe(200);
        expect(found.body).toEqual([]);

        // Replay resumes: the same reads now show the markers (so they are real, and the reads were the replica's).
        await pg.replicaPool.query('SELECT pg_wal_replay_resume()');
        await until('the statistics to catch up', async () => {
          const res = await get(STATS[0]!, reader);
          return gp(res.body) === primaryStats.rows[0]?.total;
        });
        const exportedLater = await get(
          `/api/v1/members/export?format=csv&q=${encodeURIComponent(hidden)}`,
          reader,
        );
        expect(exportedLater.text).toContain(hidden);
        // Another text than above (the search's cache is keyed by it).
        const foundLater = await get(`/api/v1/geography/search?q=Marker${token}&limit=5`);
        expect(foundLater.body).toEqual([expect.objectContaining({ code: municipality })]);
      } finally {
        await pg.replicaPool.query('SELECT pg_wal_replay_resume()');
        await pg.database.pool.query('UPDATE municipalities SET name = $1 WHERE code = $2', [
          originalName,
          municipality,
        ]);
      }
    });

    it('exports the replica lag and takes a replica behind DATABASE_REPLICA_MAX_LAG_MS out of rotation', async () => {
      await pg.replicaPool.query('SELECT pg_wal_replay_pause()');
      const surname = uniqueSurname();
      await insertMember(pg.database.pool, WARDS.own, { surname });
      await until(
        'the replica out of rotation',
        async () => (await inRotation()) === 0,
        MAX_LAG_MS + 10_000,
      );
      const lag = await metric(app, 'eff_db_replica_lag_seconds');
      expect(lag).toBeGreaterThan(MAX_LAG_MS / 1000);
      // Out of rotation: the reader is served by the primary and sees the insert.
      expect((await search(reader, surname)).body.data).toHaveLength(1);
      await pg.replicaPool.query('SELECT pg_wal_replay_resume()');
      await until('the replica back in rotation', async () => (await inRotation()) === 1);
      expect(await metric(app, 'eff_db_replica_lag_seconds')).toBeLessThan(MAX_LAG_MS / 1000);
    });

    it('falls back to the primary with zero 5xx when the replica is stopped under load, and takes it back', async () => {
      const surname = uniqueSurname();
      await insertMember(pg.database.pool, WARDS.own, { surname });
      const url = `${app.baseUrl}/api/v1/members?limit=20&q=${surname}`;
      const headers = { authorization: `Bearer ${reader.accessToken}` };
      const load = runLoad(4, () => ({ url, init: { headers } }));
      await sleep(1000);
      await pg.stopReplica('immediate');
      await until('the replica out of rotation', async () => (await inRotation()) === 0);
      await sleep(1500);
      await pg.startReplica();
      await until('the replica back in rotation', async () => (await inRotation()) === 1, 30_000);
      await sleep(1000);
      const outcomes = await load.stop();
      const failures = outcomes.filter((o) => o.status === null || o.status >= 500);
      expect(failures).toEqual([]);
      expect(outcomes.length).toBeGreaterThan(20);
      expect([...new Set(outcomes.map((o) => o.status))]).toEqual([200]);
    });
  },
);
