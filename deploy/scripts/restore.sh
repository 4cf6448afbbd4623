#!/usr/bin/env bash
# Restores the EFF membership database from the pgBackRest repository into a NEW, empty data directory, as of a
# moment (point-in-time recovery) or as late as the archived WAL goes. Run as the PostgreSQL OS user (postgres).
#
#   restore.sh --to-time '2026-12-02 14:05:00+02' --target /var/lib/postgresql/restore
#   restore.sh --latest --target /var/lib/postgresql/restore
#
# It never touches a running cluster or a directory holding anything: the target must be absent or empty. Once
# restored, start it (on another port while the old one still runs) and check it before pointing the API at it:
# deploy/docs/GUIDE.md, "Backups and point-in-time recovery", has the runbook.
#
# Options: --stanza NAME (default BACKUP_STANZA or eff); --keep-archiving: the restored cluster archives WAL to
# the repository once promoted (for the cluster that replaces the lost one; the default leaves archive_mode off,
# so a copy restored for inspection never writes into the production repository).
# Environment: BACKUP_CIPHER_PASS (the repository's passphrase), PGBACKREST_CONFIG as for backup.sh.
set -euo pipefail

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}
fail() {
  echo "restore.sh: $*" >&2
  exit 1
}

to_time=""
latest=0
target=""
stanza="${BACKUP_STANZA:-eff}"
keep_archiving=0
while [ $# -gt 0 ]; do
  case "$1" in
    --to-time) to_time="${2:-}"; shift 2 ;;
    --latest) latest=1; shift ;;
    --target) target="${2:-}"; shift 2 ;;
    --stanza) stanza="${2:-}"; shift 2 ;;
    --keep-archiving) keep_archiving=1; shift ;;
    -h | --help) usage ;;
    *) echo "restore.sh: unknown argument: $1" >&2; usage ;;
  esac
done
if [ -n "$to_time" ] && [ "$latest" = 1 ] || [ -z "$to_time" ] && [ "$latest" = 0 ]; then
  echo "restore.sh: give exactly one of --to-time 'YYYY-MM-DD HH:MM:SS+TZ' and --latest" >&2
  usage
fi
[ -n "$target" ] || { echo "restore.sh: --target DIR is required (a new, empty data directory)" >&2; usage; }
if [ -n "$to_time" ] && ! [[ "$to_time" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}[\ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?([+-][0-9]{2}(:?[0-9]{2})?|Z|\ UTC)$ ]]; then
  fail "--to-time needs a time with its zone, e.g. '2026-12-02 14:05:00+02' (got '$to_time')"
fi

export PGBACKREST_CONFIG="${PGBACKREST_CONFIG:-/etc/pgbackrest/pgbackrest.conf}"
if [ -n "${BACKUP_CIPHER_PASS:-}" ]; then export PGBACKREST_REPO1_CIPHER_PASS="$BACKUP_CIPHER_PASS"; fi

if [ -f "$target/postmaster.pid" ]; then
  pid="$(head -1 "$target/postmaster.pid")"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    fail "a PostgreSQL cluster is running in $target (pid $pid): restore into a new directory instead"
  fi
fi
if [ -e "$target" ] && [ -n "$(ls -A "$target" 2>/dev/null || echo unreadable)" ]; then
  fail "$target is not empty: restore into a new, empty directory (never over a cluster's files)"
fi
mkdir -p "$target"
chmod 0700 "$target"

args=(--stanza="$stanza" --pg1-path="$target")
if [ -n "$to_time" ]; then
  # Replays WAL up to that moment (the newest backup before it is chosen), then opens the database read-write.
  args+=(--type=time "--target=$to_time" --target-action=promote)
fi
[ "$keep_archiving" = 1 ] || args+=(--archive-mode=off)

started="$(date +%s)"
pgbackrest "${args[@]}" restore
echo "restore.sh: restored into $target in $(($(date +%s) - started)) s$([ -n "$to_time" ] && echo " (recovery to $to_time runs when it starts)")."
echo "restore.sh: next: pg_ctl -D '$target' -o '-p 5433' -l '$target/restore.log' -w start   (then the runbook's checks)"
