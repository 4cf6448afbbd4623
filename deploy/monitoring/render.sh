#!/bin/sh
# Writes the parts of the monitoring configuration that depend on the deployment, from the stack's own .env:
#
#   render.sh targets OUT_DIR        OUT_DIR/api.yml (the API's metrics ports) and OUT_DIR/blackbox.yml (https://DOMAIN),
#                                    file_sd target files read by prometheus.yml
#   render.sh alertmanager SRC OUT   SRC (alertmanager.yml) with ${ALERT_WEBHOOK_URL} filled in, to OUT
#   render.sh ... -- COMMAND ARGS    then exec COMMAND (the compose services' entrypoints)
#
# Environment: DOMAIN (required for targets), ALERT_WEBHOOK_URL (required for alertmanager);
# EFF_API_TARGETS (comma-separated host:port, default api:9400: compose), or on a PM2 host EFF_PM2_WORKERS=N with
# METRICS_PORT (default 9400): one target per cluster worker, 127.0.0.1:METRICS_PORT .. METRICS_PORT+N-1.
# POSIX sh: it runs in the busybox-based prom/prometheus and prom/alertmanager images too.
set -eu

fail() {
  echo "render.sh: $*" >&2
  exit 2
}

targets() {
  out="$1"
  case "${DOMAIN:-}" in
    '' | *[!A-Za-z0-9.-]* | .* | *..*) fail "DOMAIN must be the public host name, e.g. api.example.org (got '${DOMAIN:-}')" ;;
  esac
  if [ -n "${EFF_PM2_WORKERS:-}" ]; then
    case "$EFF_PM2_WORKERS" in '' | *[!0-9]* | 0) fail "EFF_PM2_WORKERS must be a number of workers" ;; esac
    port="${METRICS_PORT:-9400}"
    case "$port" in '' | *[!0-9]*) fail "METRICS_PORT must be a port number" ;; esac
    list=""
    i=0
    while [ "$i" -lt "$EFF_PM2_WORKERS" ]; do
      list="$list${list:+,}127.0.0.1:$((port + i))"
      i=$((i + 1))
    done
  else
    list="${EFF_API_TARGETS:-api:9400}"
  fi
  case "$list" in *[!A-Za-z0-9.:,_-]*) fail "EFF_API_TARGETS must be host:port[,host:port...] (got '$list')" ;; esac
  mkdir -p "$out"
  {
    echo "# Written by deploy/monitoring/render.sh: one target per API process."
    echo "- targets:"
    printf '%s\n' "$list" | tr ',' '\n' | sed "s/^/    - '/; s/\$/'/"
  } >"$out/api.yml.tmp"
  {
    echo "# Written by deploy/monitoring/render.sh from DOMAIN."
    echo "- targets: ['$DOMAIN:443']"
  } >"$out/blackbox.yml.tmp"
  # Renamed into place: Prometheus watches these files and must never read half of one.
  mv "$out/api.yml.tmp" "$out/api.yml"
  mv "$out/blackbox.yml.tmp" "$out/blackbox.yml"
}

alertmanager() {
  src="$1"
  out="$2"
  url="${ALERT_WEBHOOK_URL:-}"
  case "$url" in
    http://* | https://*) ;;
    *) fail "ALERT_WEBHOOK_URL must be the http(s) URL alerts are posted to (got '$url')" ;;
  esac
  case "$url" in *[!A-Za-z0-9._~:/?#@!\$\&\'\(\)*+,\;=%-]* | *\'*) fail "ALERT_WEBHOOK_URL may not contain spaces or quotes" ;; esac
  escaped="$(printf '%s' "$url" | sed 's/[\\&|]/\\&/g')"
  mkdir -p "$(dirname "$out")"
  sed "s|\${ALERT_WEBHOOK_URL}|$escaped|g" "$src" >"$out.tmp"
  mv "$out.tmp" "$out"
}

[ $# -ge 1 ] || fail "usage: render.sh targets OUT_DIR | alertmanager SRC OUT [-- COMMAND ARGS...]"
what="$1"
shift
case "$what" in
  targets)
    [ $# -ge 1 ] || fail "usage: render.sh targets OUT_DIR"
    targets "$1"
    shift
    ;;
  alertmanager)
    [ $# -ge 2 ] || fail "usage: render.sh alertmanager SRC OUT"
    alertmanager "$1" "$2"
    shift 2
    ;;
  *) fail "unknown part '$what' (targets or alertmanager)" ;;
esac
if [ $# -gt 0 ]; then
  [ "$1" = "--" ] || fail "expected -- before the command"
  shift
  exec "$@"
fi
