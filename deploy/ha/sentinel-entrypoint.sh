#!/bin/sh
# Entrypoint of each Redis Sentinel in the HA overlay. Sentinel rewrites its config file (it records the other
# Sentinels, the replicas and the current master), so the file is written to a writable place on each start
# from the environment, then redis-sentinel runs in the foreground.
set -eu
: "${SENTINEL_MASTER_NAME:=effmaster}"
: "${REDIS_MASTER_HOST:=redis}"
: "${REDIS_PASSWORD:?set REDIS_PASSWORD}"
: "${SENTINEL_QUORUM:=2}"
: "${SENTINEL_DOWN_AFTER_MS:=5000}"
conf=/data/sentinel.conf
if [ ! -s "$conf" ]; then
  cat >"$conf" <<CONF
port 26379
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
sentinel monitor $SENTINEL_MASTER_NAME $REDIS_MASTER_HOST 6379 $SENTINEL_QUORUM
sentinel auth-pass $SENTINEL_MASTER_NAME $REDIS_PASSWORD
sentinel down-after-milliseconds $SENTINEL_MASTER_NAME $SENTINEL_DOWN_AFTER_MS
sentinel failover-timeout $SENTINEL_MASTER_NAME 30000
sentinel parallel-syncs $SENTINEL_MASTER_NAME 1
CONF
fi
exec redis-sentinel "$conf"
