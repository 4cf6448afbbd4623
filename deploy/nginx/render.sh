#!/usr/bin/env bash
# Renders eff-api.conf.template for one domain. Used by setup-ssl.sh, the deploy tests and anyone installing by hand:
#
#   deploy/nginx/render.sh --domain api.example.org > /etc/nginx/sites-available/api.example.org.conf
#
# Every other value has a production default and may be overridden through the environment (the tests use high
# ports and temporary paths):
#   EFF_HTTP_LISTEN=80  EFF_HTTPS_LISTEN=443  EFF_HTTPS_PORT_SUFFIX=  (":8443" when clients use another port)
#   EFF_UPSTREAM=127.0.0.1:5000 (several API hosts: a comma-separated list, 10.0.0.11:5000,10.0.0.12:5000)
#   EFF_STATUS_LISTEN=127.0.0.1:8080  EFF_LOG_DIR=/var/log/nginx
#   EFF_WEBROOT=/var/www/letsencrypt  EFF_SSL_CERT / EFF_SSL_KEY (default: certbot's live/<domain>/ files)
#   EFF_MAX_BODY=21m  EFF_RATE_GENERAL=20r/s  EFF_GENERAL_BURST=40  EFF_RATE_AUTH=30r/m  EFF_AUTH_BURST=10
#   EFF_CONN_PER_IP=100
# --http-only leaves out the HTTPS server (for the first certificate, before any exists).
# --nginx-version X.Y.Z (or EFF_NGINX_VERSION) says which Nginx will load the site; by default the installed nginx
# is asked (`nginx -v`), and without one the form every version loads is written. Nginx >= 1.25.1 gets
# `listen ... ssl;` + `http2 on;`, older ones `listen ... ssl http2;` (deprecated from 1.25.1).
set -euo pipefail

usage() {
  echo "usage: $0 --domain DOMAIN [--http-only] [--nginx-version X.Y.Z] [--template FILE]" >&2
  exit 2
}

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
template="$here/eff-api.conf.template"
domain=""
http_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --domain) domain="${2:-}"; shift 2 ;;
    --http-only) http_only=1; shift ;;
    --template) template="${2:-}"; shift 2 ;;
    --nginx-version) EFF_NGINX_VERSION="${2:-}"; shift 2 ;;
    -h | --help) usage ;;
    *) echo "unknown argument: $1" >&2; usage ;;
  esac
done

if ! [[ "$domain" =~ ^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$ ]]; then
  echo "render.sh: --domain must be a fully qualified host name such as api.example.org (got '${domain}')" >&2
  exit 2
fi

if [ -z "${EFF_NGINX_VERSION:-}" ]; then
  nginx_bin="$(PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin" command -v nginx || true)"
  if [ -n "$nginx_bin" ]; then
    EFF_NGINX_VERSION="$("$nginx_bin" -v 2>&1 | sed -n 's|.*nginx/\([0-9][0-9.]*\).*|\1|p')"
  fi
fi
if [ -n "${EFF_NGINX_VERSION:-}" ] && ! [[ "$EFF_NGINX_VERSION" =~ ^[0-9]+\.[0-9]+(\.[0-9]+)?$ ]]; then
  echo "render.sh: --nginx-version must look like 1.22.1 (got '${EFF_NGINX_VERSION}')" >&2
  exit 2
fi
# `http2 on;` exists from Nginx 1.25.1; an unknown version gets the form every version loads.
http2_directive=0
if [ -n "${EFF_NGINX_VERSION:-}" ]; then
  IFS=. read -r major minor patch <<<"$EFF_NGINX_VERSION"
  if ((major * 1000000 + minor * 1000 + ${patch:-0} >= 1025001)); then http2_directive=1; fi
fi

EFF_DOMAIN="$domain"
: "${EFF_HTTP_LISTEN:=80}"
: "${EFF_HTTPS_LISTEN:=443}"
: "${EFF_HTTPS_PORT_SUFFIX:=}"
: "${EFF_UPSTREAM:=127.0.0.1:5000}"
: "${EFF_STATUS_LISTEN:=127.0.0.1:8080}"
: "${EFF_LOG_DIR:=/var/log/nginx}"
: "${EFF_WEBROOT:=/var/www/letsencrypt}"
: "${EFF_SSL_CERT:=/etc/letsencrypt/live/$domain/fullchain.pem}"
: "${EFF_SSL_KEY:=/etc/letsencrypt/live/$domain/privkey.pem}"
: "${EFF_MAX_BODY:=21m}"
: "${EFF_RATE_GENERAL:=20r/s}"
: "${EFF_GENERAL_BURST:=40}"
: "${EFF_RATE_AUTH:=30r/m}"
: "${EFF_AUTH_BURST:=10}"
: "${EFF_CONN_PER_IP:=100}"

names=(EFF_DOMAIN EFF_HTTP_LISTEN EFF_HTTPS_LISTEN EFF_HTTPS_PORT_SUFFIX EFF_UPSTREAM EFF_STATUS_LISTEN EFF_LOG_DIR
  EFF_WEBROOT EFF_SSL_CERT EFF_SSL_KEY EFF_MAX_BODY EFF_RATE_GENERAL EFF_GENERAL_BURST EFF_RATE_AUTH EFF_AUTH_BURST
  EFF_CONN_PER_IP)
for name in "${names[@]}"; do
  # A value must not break out of its directive.
  if [[ "${!name}" == *[\;\{\}\'\"\$[:space:]]* ]]; then
    echo "render.sh: $name may not contain spaces, quotes, braces, \$ or ';' (got '${!name}')" >&2
    exit 2
  fi
done

# EFF_UPSTREAM: one host:port or a comma-separated list of them (several API hosts, one `server` line each).
IFS=, read -r -a upstreams <<<"$EFF_UPSTREAM"
if [ "${#upstreams[@]}" -eq 0 ]; then
  echo "render.sh: EFF_UPSTREAM must list at least one host:port" >&2
  exit 2
fi
for upstream in "${upstreams[@]}"; do
  if ! [[ "$upstream" =~ ^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):[0-9]{1,5}$|^unix:/[A-Za-z0-9._/-]+$ ]]; then
    echo "render.sh: EFF_UPSTREAM entries must be host:port (got '${upstream}')" >&2
    exit 2
  fi
done

skipping=0
while IFS= read -r line || [ -n "$line" ]; do
  if [ "$http_only" = 1 ]; then
    case "$line" in
      '# BEGIN TLS'*) skipping=1; continue ;;
      '# END TLS'*) skipping=0; continue ;;
    esac
    [ "$skipping" = 1 ] && continue
  fi
  if [ "$http2_directive" = 0 ]; then
    [[ "$line" =~ ^[[:space:]]*http2\ on\;$ ]] && continue
    [[ "$line" == *'listen ${EFF_HTTPS_LISTEN} ssl;'* ]] && line="${line/ ssl;/ ssl http2;}"
  fi
  if [[ "$line" == *'server ${EFF_UPSTREAM}'* ]]; then
    for upstream in "${upstreams[@]}"; do
      printf '%s\n' "${line//'${EFF_UPSTREAM}'/$upstream}"
    done
    continue
  fi
  for name in "${names[@]}"; do
    line="${line//"\${$name}"/${!name}}"
  done
  if [[ "$line" == *'${EFF_'* ]]; then
    echo "render.sh: unknown placeholder in: $line" >&2
    exit 1
  fi
  printf '%s\n' "$line"
done <"$template"
