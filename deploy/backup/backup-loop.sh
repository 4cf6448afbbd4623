#!/usr/bin/env bash
# The compose backup service: `backup.sh auto` every BACKUP_CHECK_EVERY_SECONDS (default 300): a full backup when
# the last full is older than BACKUP_FULL_EVERY_HOURS (168), a differential when the last backup is older than
# BACKUP_DIFF_EVERY_HOURS (24), and the metrics for Prometheus each time. A failure is logged and retried on the
# next round (the alerts notice one that persists).
set -uo pipefail
while :; do
  backup.sh auto || echo "backup-loop: backup.sh auto failed (exit $?), retrying in ${BACKUP_CHECK_EVERY_SECONDS:-300} s" >&2
  sleep "${BACKUP_CHECK_EVERY_SECONDS:-300}"
done
