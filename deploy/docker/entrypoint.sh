#!/bin/sh
# Container entrypoint (Dockerfile): apply migrations and reference data as the database owner, then replace this
# shell with the API so it receives signals directly (tini is PID 1 and forwards them).
#
#   MIGRATION_DATABASE_URL  owner role that may change the schema (default: DATABASE_URL)
#   DATABASE_URL            the API's role; in docker-compose.yml `eff_app`, which may only read and write rows
#   RUN_MIGRATIONS=false    skip the migration step (e.g. every replica but one)
#   NODE_ARGS               node flags for the API (the Dockerfile sets production's heap bounds; NODE_OPTIONS may
#                           not carry --min-semi-space-size)
set -eu

cd "${APP_DIR:-$(dirname "$0")/../..}"

if [ "${RUN_MIGRATIONS:-true}" != "false" ]; then
  echo "[entrypoint] applying migrations"
  DATABASE_URL="${MIGRATION_DATABASE_URL:-${DATABASE_URL:-}}" node dist/apps/api/src/cli.js migrate
fi

echo "[entrypoint] starting the API"
# shellcheck disable=SC2086 # NODE_ARGS is a list of flags
exec node ${NODE_ARGS:-} dist/apps/api/src/main.js "$@"
