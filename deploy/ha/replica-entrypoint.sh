#!/bin/bash
# Entrypoint of the streaming replica in the HA overlay (official postgres image). On first start (empty data
# folder) it makes sure the replication role exists on the primary, clones the primary with
# `pg_basebackup -R` (which writes standby.signal and primary_conninfo), then hands over to the image's own
# entrypoint, which starts PostgreSQL as a hot standby. Later starts find the data and go straight to PostgreSQL.
set -euo pipefail
: "${PRIMARY_HOST:=postgres}"
: "${PRIMARY_PORT:=5432}"
: "${POSTGRES_USER:?set POSTGRES_USER (superuser of the primary)}"
: "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
: "${REPLICATION_USER:=eff_replicator}"
: "${REPLICATION_PASSWORD:?set REPLICATION_PASSWORD}"
: "${REPLICATION_SLOT:=replica1}"
PGDATA="${PGDATA:-/var/lib/postgresql/data}"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  echo "[replica] waiting for the primary at $PRIMARY_HOST:$PRIMARY_PORT"
  until pg_isready -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$POSTGRES_USER" >/dev/null 2>&1; do sleep 1; done
  echo "[replica] ensuring role $REPLICATION_USER and slot $REPLICATION_SLOT on the primary"
  PGPASSWORD="$POSTGRES_PASSWORD" psql -v ON_ERROR_STOP=1 -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" \
    -U "$POSTGRES_USER" -d postgres -v user="$REPLICATION_USER" -v password="$REPLICATION_PASSWORD" \
    -v slot="$REPLICATION_SLOT" <<'SQL'
SELECT format('CREATE ROLE %I WITH REPLICATION LOGIN PASSWORD %L', :'user', :'password')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'user') \gexec
SELECT format('ALTER ROLE %I WITH REPLICATION LOGIN PASSWORD %L', :'user', :'password') \gexec
SELECT pg_create_physical_replication_slot(:'slot')
 WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = :'slot');
SQL
  echo "[replica] cloning the primary (pg_basebackup -R)"
  mkdir -p "$PGDATA"
  chown -R postgres:postgres "$PGDATA"
  chmod 700 "$PGDATA"
  gosu postgres env PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup \
    -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$REPLICATION_USER" -D "$PGDATA" \
    -R -X stream -S "$REPLICATION_SLOT" -c fast -P
fi
# The primary's archive_command (pgBackRest) does not exist here: a standby does not archive.
exec docker-entrypoint.sh postgres -c hot_standby=on -c archive_mode=off -c max_connections=200 \
  -c hot_standby_feedback=on "$@"
