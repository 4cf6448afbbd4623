// Backups and point-in-time recovery (#24), proven by restoring: a PostgreSQL 15 cluster archiving WAL through
// pgBackRest (Debian's 2.45 with Debian's PostgreSQL 15), the API writing members, full and differential backups,
// a "bad migration" that empties the register, then deploy/scripts/restore.sh to the moment before it into a new
// data directory, started exactly as the runbook (deploy/docs/GUIDE.md) says, and the API answering from it.
import { jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Pool } from 'pg';
import { bearer, loginAsSuperAdmin, Session } from '../harness/auth.js';
import { describeNeedingDebian, ensureDebianPrograms } from '../harness/debian.js';
import { createMember, MemberBody } from '../harness/members.js';
import { REPO, tempDir } from '../harness/nginx.js';
import { freePort, RunningApp, startApp, TestDatabase } from '../harness/test-app.js';

jest.setTimeout(600_000);

const PG_BIN = '/usr/lib/postgresql/15/bin';
const TOOLS = { pgbackrest: 'pgbackrest', jq: 'jq', [`${PG_BIN}/pg_ctl`]: 'postgresql-15' };
const BACKUP = path.join(REPO, 'deploy/scripts/backup.sh');
const RESTORE = path.join(REPO, 'deploy/scripts/restore.sh');
const CLI = path.join(REPO, 'dist/apps/api/src/cli.js');
const isRoot = process.getuid?.() === 0;

interface Result {
  status: number | null;
  stdout: string;
  output: string;
  seconds: number;
}

/** Steps 2 to 4 of the guide's restore runbook: the restore, the start, the end-of-recovery check, the first check. */
function runbookCommands(): string[] {
  const guide = readFileSync(path.join(REPO, 'deploy/docs/GUIDE.md'), 'utf8');
  const runbook = guide.slice(guide.indexOf('### Runbook: restore to a moment'));
  const spans = [...runbook.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
  const find = (prefix: string) => {
    const command = spans.find((span) => span.startsWith(prefix));
    if (!command) throw new Error(`the runbook has no command starting ${prefix}`);
    return command;
  };
  return [
    find('deploy/scripts/restore.sh --to-time'),
    find('pg_ctl -D'),
    find("psql -p 5433 -Atc 'SELECT pg_is_in_recovery()'"),
    find('psql -p 5433 -d eff_membership -c'),
  ];
}

describeNeedingDebian(TOOLS)(
  'pgBackRest backups and point-in-time restore (deploy/scripts)',
  () => {
    let dir: string;
    let env: Record<string, string>;
    let source: { port: number; data: string; pool: Pool };
    let restored: { port: number; data: string; pool: Pool } | null = null;
    let app: RunningApp | null = null;
    let admin: Session;
    const timings: Record<string, number> = {};

    /** A command as the PostgreSQL OS user (PostgreSQL and pgBackRest refuse root), with the backup environment. */
    function asPostgres(command: string, args: string[]): Result {
      const started = Date.now();
      const [file, argv] = isRoot
        ? [
            'runuser',
            [
              '-u',
              'postgres',
              '--',
              'env',
              ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
              command,
              ...args,
            ],
          ]
        : [command, args];
      const result = spawnSync(file, argv, {
        encoding: 'utf8',
        cwd: dir,
        env: { ...process.env, ...env },
        timeout: 300_000,
      });
      return {
        status: result.status,
        stdout: result.stdout,
        output: `${result.stdout}${result.stderr}`,
        seconds: (Date.now() - started) / 1000,
      };
    }
    function must(command: string, args: string[]): Result {
      const result = asPostgres(command, args);
      if (result.status !== 0)
        throw new Error(`${command} ${args.join(' ')} failed:\n${result.output}`);
      return result;
    }
    function ownedDir(name: string): string {
      const p = path.join(dir, name);
      mkdirSync(p, { recursive: true });
      if (isRoot) chownSync(p, uid('postgres'), gid('postgres'));
      return p;
    }
    function uid(user: string): number {
      return Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
    }
    function gid(user: string): number {
      return Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim());
    }
    function database(port: number): TestDatabase & { pool: Pool } {
      const url = `postgres://postgres@127.0.0.1:${port}/eff_membership`;
      const pool = new Pool({ connectionString: url, max: 3 });
      pool.on('error', () => undefined);
      return { name: 'eff_membership', url, pool, drop: async () => undefined };
    }

    beforeAll(async () => {
      ensureDebianPrograms(TOOLS);
      dir = tempDir('eff-backup-');
      chmodSync(dir, 0o755);
      const sock = ownedDir('sock');
      env = {
        PGBACKREST_CONFIG: path.join(REPO, 'deploy/backup/pgbackrest.conf'),
        PGBACKREST_REPO1_PATH: ownedDir('repo'),
        PGBACKREST_PG1_PATH: path.join(dir, 'data'),
        PGBACKREST_PG1_SOCKET_PATH: sock,
        // The runbook's psql commands reach the restored cluster through the socket folder of the restored config.
        PGHOST: sock,
        PGUSER: 'postgres',
        PGBACKREST_LOCK_PATH: ownedDir('lock'),
        PGBACKREST_LOG_PATH: ownedDir('log'),
        PGBACKREST_SPOOL_PATH: ownedDir('spool'),
        BACKUP_CIPHER_PASS: randomBytes(24).toString('base64'),
        PATH: `${PG_BIN}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      };
      // archive_command runs pgbackrest from the server, which therefore needs the passphrase in its environment.
      env.PGBACKREST_REPO1_CIPHER_PASS = env.BACKUP_CIPHER_PASS!;
      const port = await freePort();
      env.PGBACKREST_PG1_PORT = String(port);
      const data = ownedDir('data');
      must(`${PG_BIN}/initdb`, ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8']);
      appendFileSync(
        path.join(data, 'postgresql.conf'),
        [
          `port = ${port}`,
          `unix_socket_directories = '${sock}'`,
          "listen_addresses = '127.0.0.1'",
          // As docker-compose.yml's postgres service and the guide set them.
          'wal_level = replica',
          'archive_mode = on',
          "archive_command = 'pgbackrest --stanza=eff archive-push %p'",
          'archive_timeout = 60',
          '',
        ].join('\n'),
      );
      must(`${PG_BIN}/pg_ctl`, [
        '-D',
        data,
        '-l',
        path.join(ownedDir('logs'), 'source.log'),
        '-w',
        'start',
      ]);
      must(`${PG_BIN}/psql`, [
        '-h',
        sock,
        '-p',
        String(port),
        '-U',
        'postgres',
        '-c',
        'CREATE DATABASE eff_membership',
      ]);
      const migrated = spawnSync(process.execPath, [CLI, 'migrate'], {
        cwd: REPO,
        encoding: 'utf8',
        env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: database(port).url },
      });
      if (migrated.status !== 0) throw new Error(`migrate failed:\n${migrated.stderr}`);
      const db = database(port);
      source = { port, data, pool: db.pool };
      app = await startApp(db, { LOG_LEVEL: 'warn' });
      admin = await loginAsSuperAdmin(app);
    });

    afterAll(async () => {
      await app?.stop();
      await source?.pool.end().catch(() => undefined);
      await restored?.pool.end().catch(() => undefined);
      for (const data of [source?.data, restored?.data]) {
        if (data) asPostgres(`${PG_BIN}/pg_ctl`, ['-D', data, '-m', 'immediate', 'stop']);
      }
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    async function members(count: number, prefix: string): Promise<MemberBody[]> {
      const created: MemberBody[] = [];
      for (let i = 0; i < count; i += 1)
        created.push(await createMember(app!, admin, { surname: `${prefix}${'abcdefgh'[i]}` }));
      return created;
    }

    it('restores the register to the moment before a bad migration, and the API answers from it', async () => {
      const before = await members(3, 'Beforefull');
      const full = must(BACKUP, ['full']);
      timings.fullBackup = full.seconds;
      const afterFull = await members(2, 'Afterfull');
      const diff = must(BACKUP, ['diff']);
      timings.diffBackup = diff.seconds;
      const walOnly = await members(1, 'Walonly');

      await new Promise((r) => setTimeout(r, 1100));
      const { rows: at } = await source.pool.query<{ t: string }>(
        `SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' AS t`,
      );
      const toTime = at[0]!.t;
      const snapshot = async (pool: Pool) => ({
        members: (await pool.query<{ id: string }>('SELECT id FROM members ORDER BY id')).rows.map(
          (r) => r.id,
        ),
        history: (
          await pool.query<{ id: string }>(
            'SELECT id FROM member_history ORDER BY member_id, created_at, id',
          )
        ).rows.map((r) => r.id),
        audit: (
          await pool.query<{ row: string }>(
            `SELECT concat_ws(' ', id, occurred_at, action, entity_id) AS row FROM audit_events ORDER BY occurred_at, id`,
          )
        ).rows.map((r) => r.row),
      });
      const atTime = await snapshot(source.pool);
      await new Promise((r) => setTimeout(r, 1100));

      const after = await members(1, 'Aftertime');
      // The bad migration.
      await source.pool.query('TRUNCATE members CASCADE');
      expect((await source.pool.query('SELECT count(*)::int AS n FROM members')).rows[0]).toEqual({
        n: 0,
      });
      const { rows: switched } = await source.pool.query<{ wal: string }>(
        'SELECT pg_walfile_name(pg_switch_wal()) AS wal',
      );
      const deadline = Date.now() + 60_000;
      for (;;) {
        const { rows } = await source.pool.query<{ last: string | null }>(
          'SELECT last_archived_wal AS last FROM pg_stat_archiver',
        );
        if (rows[0]?.last && rows[0].last >= switched[0]!.wal) break;
        if (Date.now() > deadline) throw new Error('WAL was not archived within 60 s');
        await new Promise((r) => setTimeout(r, 250));
      }

      // Refusals: a running cluster's directory, and any non-empty directory.
      const running = asPostgres(RESTORE, ['--to-time', toTime, '--target', source.data]);
      expect(running.status).toBe(1);
      expect(running.output).toContain('a PostgreSQL cluster is running in');
      const busy = ownedDir('busy');
      writeFileSync(path.join(busy, 'keep.txt'), 'x');
      const nonEmpty = asPostgres(RESTORE, ['--latest', '--target', busy]);
      expect(nonEmpty.status).toBe(1);
      expect(nonEmpty.output).toContain('is not empty');

      // The runbook's own commands (deploy/docs/GUIDE.md, steps 2 to 4), with this test's moment, port and paths.
      const target = path.join(ownedDir('restores'), 'restored');
      const port = await freePort();
      const runbook = runbookCommands().map((command) =>
        command
          .replaceAll("'2026-12-02 14:05:00+02'", `'${toTime}'`)
          .replaceAll('/var/lib/postgresql/restore-20261202', target)
          .replaceAll('5433', String(port))
          .replace(/^deploy\/scripts\//, `${REPO}/deploy/scripts/`),
      );
      const [restoreCommand, startCommand, recoveryCommand, checkCommand] = runbook as [
        string,
        string,
        string,
        string,
      ];
      const restore = must('bash', ['-c', restoreCommand]);
      timings.restore = restore.seconds;
      const start = must('bash', ['-c', startCommand]);
      const db = database(port);
      restored = { port, data: target, pool: db.pool };
      const recoveryDeadline = Date.now() + 120_000;
      while (must('bash', ['-c', recoveryCommand]).stdout.trim() !== 'f') {
        if (Date.now() > recoveryDeadline) throw new Error('recovery did not finish within 120 s');
        await new Promise((r) => setTimeout(r, 200));
      }
      timings.startAndRecover = start.seconds;
      expect(must('bash', ['-c', checkCommand]).stdout).toMatch(/^\s*6 \|/m);

      const back = await snapshot(db.pool);
      expect(back.members.sort()).toEqual(
        [...before, ...afterFull, ...walOnly].map((m) => m.id).sort(),
      );
      expect(back.members).not.toContain(after[0]!.id);
      expect(back.members).toEqual(atTime.members);
      expect(back.history).toEqual(atTime.history);
      expect(back.history.length).toBeGreaterThanOrEqual(6);
      expect(back.audit).toEqual(atTime.audit);
      const { rows: archiving } = await db.pool.query<{ archive_mode: string }>(
        'SHOW archive_mode',
      );
      expect(archiving[0]!.archive_mode).toBe('off');

      // The API against the restored database.
      await app!.stop();
      app = await startApp(db, { LOG_LEVEL: 'warn' });
      admin = await loginAsSuperAdmin(app);
      const res = await app
        .http()
        .get(`/api/v1/members/${walOnly[0]!.id}`)
        .set(...bearer(admin));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: walOnly[0]!.id, surname: 'Walonlya' });

      process.stderr.write(`backup-restore timings (s): ${JSON.stringify(timings)}\n`);
    });

    it('backup.sh auto takes a backup only when one is due', () => {
      const count = () =>
        (
          JSON.parse(must('pgbackrest', ['--stanza=eff', '--output=json', 'info']).stdout) as {
            backup: unknown[];
          }[]
        )[0]!.backup.length;
      const before = count();
      must(BACKUP, ['auto']);
      expect(count()).toBe(before);
      env.BACKUP_DIFF_EVERY_HOURS = '0';
      const diff = must(BACKUP, ['auto']);
      delete env.BACKUP_DIFF_EVERY_HOURS;
      expect(diff.output).toMatch(/backup command begin .*--type=diff/);
      expect(count()).toBe(before + 1);
    });

    it('writes the backup and WAL archiving metrics for Prometheus', () => {
      const file = path.join(ownedDir('textfile'), 'eff_backup.prom');
      env.BACKUP_METRICS_FILE = file;
      must(BACKUP, ['metrics']);
      delete env.BACKUP_METRICS_FILE;
      expect(readFileSync(file, 'utf8')).toContain(
        'db_backup_wal_last_archived_timestamp_seconds{stanza="eff"}',
      );
      const printed = must(BACKUP, ['metrics']).stdout;
      const value = (series: string) =>
        Number(
          new RegExp(`^${series.replace(/[{}"=,.]/g, '\\$&')} (\\d+)$`, 'm').exec(printed)?.[1],
        );
      const now = Date.now() / 1000;
      expect(
        now - value('db_backup_last_success_timestamp_seconds{stanza="eff",type="full"}'),
      ).toBeLessThan(900);
      expect(value('db_backup_age_seconds{stanza="eff"}')).toBeLessThan(900);
      expect(
        now - value('db_backup_wal_last_archived_timestamp_seconds{stanza="eff"}'),
      ).toBeLessThan(900);
      expect(value('db_backup_wal_archive_failures_total{stanza="eff"}')).toBe(0);
      expect(value('db_backup_wal_archived_total{stanza="eff"}')).toBeGreaterThan(0);
      expect(printed).toContain('# TYPE db_backup_wal_archive_failures_total counter');
    });
  },
);
