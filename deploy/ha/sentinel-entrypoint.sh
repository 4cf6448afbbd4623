#!/bin/sh
# Entrypoint of each Redis Sentinel in the HA overlay. Sentinel rewrites its config file (it records the other
# Sentinels, the replicas and the current master), so on first start the file is written from the environment to
# the Sentinel's own volume (/data), later starts keep what Sentinel recorded; redis-sentinel runs in the
# foreground.
set -eu
# Started as root with every capability dropped but SETUID/SETGID (compose's hardening): root may not write the
# image's /data (owned by redis, 0755) without DAC_OVERRIDE, so step down to the image's redis user first, as the
# image's own entrypoint does for redis-server.
if [ "$(id -u)" = 0 ]; then
  exec gosu redis "$0" "$@"
fi
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
