#!/usr/bin/env bash
# Backups of the EFF membership database with pgBackRest (deploy/backup/pgbackrest.conf). Run as the PostgreSQL
# OS user (postgres), on the database host or in the compose backup service:
#
#   backup.sh full       full base backup (then pgBackRest expires what the retention no longer needs)
#   backup.sh diff       differential backup (changes since the last full)
#   backup.sh auto       full when the last full is older than BACKUP_FULL_EVERY_HOURS (168), else a differential
#                        when the last backup is older than BACKUP_DIFF_EVERY_HOURS (24), else nothing; then metrics.
#                        What the systemd timer and the compose service run every few minutes.
#   backup.sh metrics    Prometheus text: age of the newest backups and of the last archived WAL segment
#   backup.sh check      pgBackRest's end-to-end check (archiving works, the repository is reachable)
#
# Environment:
#   BACKUP_CIPHER_PASS        repository encryption passphrase (required; never commit it)
#   BACKUP_STANZA             pgBackRest stanza, default eff
#   BACKUP_RETENTION_FULL     full backups kept, default 4
#   BACKUP_RETENTION_DIFF     differential backups kept, default 14
#   BACKUP_METRICS_FILE       where `metrics` (and full/diff/auto after them) write the metrics, atomically, for
#                             node-exporter's textfile collector (e.g. /var/lib/prometheus/node-exporter/eff_backup.prom);
#                             unset: `metrics` prints them
#   PGBACKREST_CONFIG         default /etc/pgbackrest/pgbackrest.conf; any PGBACKREST_* option overrides the file
# The database is reached as pgBackRest does: PGBACKREST_PG1_SOCKET_PATH / PGBACKREST_PG1_PORT / PGBACKREST_PG1_USER
# (a superuser; compose: eff_owner), else the defaults (the socket, 5432, the OS user's name).
set -euo pipefail

stanza="${BACKUP_STANZA:-eff}"
export PGBACKREST_CONFIG="${PGBACKREST_CONFIG:-/etc/pgbackrest/pgbackrest.conf}"
export PGBACKREST_REPO1_RETENTION_FULL="${BACKUP_RETENTION_FULL:-4}"
export PGBACKREST_REPO1_RETENTION_DIFF="${BACKUP_RETENTION_DIFF:-14}"
if [ -n "${BACKUP_CIPHER_PASS:-}" ]; then export PGBACKREST_REPO1_CIPHER_PASS="$BACKUP_CIPHER_PASS"; fi

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

pgb() { pgbackrest --stanza="$stanza" "$@"; }

sql() {
  PGHOST="${PGBACKREST_PG1_SOCKET_PATH:-${PGHOST:-}}" PGPORT="${PGBACKREST_PG1_PORT:-${PGPORT:-5432}}" \
    PGUSER="${PGBACKREST_PG1_USER:-${PGUSER:-$(id -un)}}" psql -X -At -v ON_ERROR_STOP=1 -d postgres -c "$1"
}

require_cipher() {
  if [ -z "${PGBACKREST_REPO1_CIPHER_PASS:-}" ] && ! grep -rqs '^repo1-cipher-pass=' /etc/pgbackrest/conf.d; then
    echo "backup.sh: set BACKUP_CIPHER_PASS (the repository's encryption passphrase)" >&2
    exit 2
  fi
}

# Newest stop time (epoch seconds) of a backup of type $1 (full, diff, incr, or any), 0 when none.
last_backup() {
  pgb --output=json info | jq -r --arg type "$1" \
    '[.[0].backup[]? | select($type == "any" or .type == $type) | .timestamp.stop] | max // 0'
}

metrics() {
  local now full diff any archived failed archived_count failed_count
  now="$(date +%s)"
  full="$(last_backup full)"
  diff="$(last_backup diff)"
  any="$(last_backup any)"
  IFS='|' read -r archived failed archived_count failed_count < <(sql "SELECT
    coalesce(extract(epoch FROM last_archived_time)::bigint, 0), coalesce(extract(epoch FROM last_failed_time)::bigint, 0),
    archived_count, failed_count FROM pg_stat_archiver")
  local labels="stanza=\"$stanza\""
  cat <<METRICS
# HELP db_backup_last_success_timestamp_seconds When the newest successful backup of each type finished (0: none).
# TYPE db_backup_last_success_timestamp_seconds gauge
db_backup_last_success_timestamp_seconds{$labels,type="full"} $full
db_backup_last_success_timestamp_seconds{$labels,type="diff"} $diff
# HELP db_backup_age_seconds Seconds since the newest successful backup of any type finished, when written.
# TYPE db_backup_age_seconds gauge
db_backup_age_seconds{$labels} $((any > 0 ? now - any : now))
# HELP db_backup_wal_last_archived_timestamp_seconds When PostgreSQL last archived a WAL segment (0: never).
# TYPE db_backup_wal_last_archived_timestamp_seconds gauge
db_backup_wal_last_archived_timestamp_seconds{$labels} $archived
# HELP db_backup_wal_last_archived_age_seconds Seconds since the last archived WAL segment, when written.
# TYPE db_backup_wal_last_archived_age_seconds gauge
db_backup_wal_last_archived_age_seconds{$labels} $((archived > 0 ? now - archived : now))
# HELP db_backup_wal_last_failed_timestamp_seconds When archive_command last failed (0: never).
# TYPE db_backup_wal_last_failed_timestamp_seconds gauge
db_backup_wal_last_failed_timestamp_seconds{$labels} $failed
# HELP db_backup_wal_archived_total WAL segments archived since the statistics were reset.
# TYPE db_backup_wal_archived_total counter
db_backup_wal_archived_total{$labels} $archived_count
# HELP db_backup_wal_archive_failures_total Failed archive_command runs since the statistics were reset.
# TYPE db_backup_wal_archive_failures_total counter
db_backup_wal_archive_failures_total{$labels} $failed_count
# HELP db_backup_metrics_updated_timestamp_seconds When backup.sh last wrote these metrics.
# TYPE db_backup_metrics_updated_timestamp_seconds gauge
db_backup_metrics_updated_timestamp_seconds{$labels} $now
METRICS
}

write_metrics() {
  if [ -z "${BACKUP_METRICS_FILE:-}" ]; then
    [ "${1:-}" = print ] && metrics
    return 0
  fi
  metrics >"$BACKUP_METRICS_FILE.tmp"
  mv "$BACKUP_METRICS_FILE.tmp" "$BACKUP_METRICS_FILE"
}

backup() {
  require_cipher
  # Idempotent: creates the stanza on the first run, checks it matches the cluster afterwards.
  pgb stanza-create
  pgb --type="$1" backup
}

[ $# -eq 1 ] || usage
case "$1" in
  full | diff) backup "$1"; write_metrics ;;
  auto)
    require_cipher
    now="$(date +%s)"
    full="$( (pgb --output=json info 2>/dev/null | jq -r '[.[0].backup[]? | select(.type == "full") | .timestamp.stop] | max // 0') || echo 0)"
    any="$( (pgb --output=json info 2>/dev/null | jq -r '[.[0].backup[]? | .timestamp.stop] | max // 0') || echo 0)"
    if ((now - full >= ${BACKUP_FULL_EVERY_HOURS:-168} * 3600)); then
      backup full
    elif ((now - any >= ${BACKUP_DIFF_EVERY_HOURS:-24} * 3600)); then
      backup diff
    fi
    write_metrics
    ;;
  metrics) write_metrics print ;;
  check) require_cipher; pgb check ;;
  *) usage ;;
esac
