#!/usr/bin/env bash
# Nginx + Let's Encrypt for the API on one host (Ubuntu 20.04/22.04, Debian 12). Idempotent: run it again at any
# time; it keeps a valid certificate and re-renders the site. See deploy/docs/GUIDE.md ("SSL").
#
#   sudo deploy/scripts/setup-ssl.sh --domain api.example.org --email ops@example.org [--staging]
#
# Steps: install nginx and certbot when missing; check DNS; serve the HTTP-only site; check that port 80 reaches
# this Nginx; obtain the certificate (webroot HTTP-01); install a renewal hook that reloads Nginx; render the full
# site (deploy/nginx); verify HTTPS.
#
# Options:
#   --domain D       host name clients use (required)
#   --email E        account e-mail for expiry notices (required unless --dry-run)
#   --staging        Let's Encrypt's staging CA (untrusted certificates; for rehearsals, no rate limits)
#   --server URL     any ACME directory URL (another CA, or a local pebble in tests)
#   --dry-run        every check plus a certbot dry run; saves no certificate and leaves the HTTP-only site
#   --upstream H:P   where the API listens (default 127.0.0.1:5000)
#
# Environment knobs (defaults fit a stock Ubuntu/Debian host; the tests use them to run unprivileged ports in a
# temporary folder):
#   NGINX_SITES_DIR=/etc/nginx/sites-available  NGINX_ENABLED_DIR=/etc/nginx/sites-enabled
#   NGINX_MAIN_CONF=/etc/nginx/nginx.conf (its http-level ssl_protocols is narrowed to TLSv1.2 TLSv1.3)
#   NGINX_TEST_CMD="nginx -t"   NGINX_RELOAD_CMD="systemctl reload nginx" (or "nginx -s reload" without systemd)
#   NGINX_START_CMD="systemctl start nginx" (when nginx is not running)
#   CERTBOT_DIR         base folder for certbot's config/work/logs (default certbot's: /etc/letsencrypt ...)
#   CERTBOT_EXTRA_ARGS  appended to certbot's command line
#   REQUESTS_CA_BUNDLE  CA file certbot trusts for the ACME server (a private CA such as pebble's)
#   SETUP_SSL_DNS_SERVER=host:port  resolve the domain with dig against this server instead of the system resolver
#   SETUP_SSL_CONNECT_ADDR=addr     probe and verify through this address instead of the domain's DNS answer
#   SETUP_SSL_VERIFY_CA=file        CA to verify the new certificate with (default: the system's)
#   EFF_HTTP_LISTEN, EFF_HTTPS_LISTEN, EFF_* ...   passed to deploy/nginx/render.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
render="$here/../nginx/render.sh"

say() { printf '[setup-ssl] %s\n' "$*"; }
die() {
  printf '[setup-ssl] ERROR: %s\n' "$*" >&2
  exit 1
}
usage() {
  sed -n '2,/^set -euo/p' "$0" | sed 's/^# \{0,1\}//; /^set -euo/d' >&2
  exit 2
}

domain="" email="" staging=0 server="" dry_run=0
upstream="${EFF_UPSTREAM:-127.0.0.1:5000}"
while [ $# -gt 0 ]; do
  case "$1" in
    --domain) domain="${2:-}"; shift 2 ;;
    --email) email="${2:-}"; shift 2 ;;
    --staging) staging=1; shift ;;
    --server) server="${2:-}"; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    --upstream) upstream="${2:-}"; shift 2 ;;
    -h | --help) usage ;;
    *) echo "unknown argument: $1" >&2; usage ;;
  esac
done

[ -n "$domain" ] || die "--domain is required (e.g. --domain api.example.org)"
[[ "$domain" =~ ^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$ ]] ||
  die "--domain '$domain' is not a fully qualified host name"
if [ "$dry_run" = 0 ]; then
  [[ "$email" =~ ^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$ ]] ||
    die "--email is required (Let's Encrypt sends expiry notices there)"
fi
[ "$staging" = 1 ] && [ -n "$server" ] && die "--staging and --server exclude each other"
[ "$(id -u)" = 0 ] || die "run as root (sudo $0 ...): it installs packages and writes Nginx's configuration"

: "${NGINX_SITES_DIR:=/etc/nginx/sites-available}"
: "${NGINX_ENABLED_DIR:=/etc/nginx/sites-enabled}"
: "${NGINX_MAIN_CONF:=/etc/nginx/nginx.conf}"
: "${NGINX_TEST_CMD:=nginx -t}"
if [ -z "${NGINX_RELOAD_CMD:-}" ]; then
  if [ -d /run/systemd/system ]; then NGINX_RELOAD_CMD="systemctl reload nginx"; else NGINX_RELOAD_CMD="nginx -s reload"; fi
fi
if [ -z "${NGINX_START_CMD:-}" ]; then
  if [ -d /run/systemd/system ]; then NGINX_START_CMD="systemctl start nginx"; else NGINX_START_CMD="nginx"; fi
fi
: "${EFF_WEBROOT:=/var/www/letsencrypt}"
: "${EFF_HTTP_LISTEN:=80}"
: "${EFF_HTTPS_LISTEN:=443}"
export EFF_WEBROOT EFF_HTTP_LISTEN EFF_HTTPS_LISTEN
export EFF_UPSTREAM="$upstream"
http_port="${EFF_HTTP_LISTEN##*:}"
https_port="${EFF_HTTPS_LISTEN##*:}"

certbot_dirs=()
config_dir=/etc/letsencrypt
if [ -n "${CERTBOT_DIR:-}" ]; then
  config_dir="$CERTBOT_DIR/config"
  certbot_dirs=(--config-dir "$config_dir" --work-dir "$CERTBOT_DIR/work" --logs-dir "$CERTBOT_DIR/logs")
fi
live="$config_dir/live/$domain"
site="$NGINX_SITES_DIR/$domain.conf"

# 1. Packages
missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v certbot >/dev/null 2>&1 || missing+=(certbot)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [ -n "${SETUP_SSL_DNS_SERVER:-}" ] && ! command -v dig >/dev/null 2>&1; then missing+=(dnsutils); fi
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# 2. DNS: the CA resolves the domain and connects to port 80 there.
if [ -n "${SETUP_SSL_DNS_SERVER:-}" ]; then
  addresses="$(dig +short @"${SETUP_SSL_DNS_SERVER%:*}" -p "${SETUP_SSL_DNS_SERVER##*:}" "$domain" A "$domain" AAAA | grep -E '^[0-9a-fA-F.:]+$' || true)"
else
  addresses="$(getent ahosts "$domain" | awk '{print $1}' | sort -u || true)"
fi
[ -n "$addresses" ] ||
  die "no DNS record for $domain: create an A (and AAAA if you have IPv6) record pointing at this server's public address, wait for it to propagate, then run this again"
say "$domain resolves to $(echo "$addresses" | tr '\n' ' ')"
connect_addr="${SETUP_SSL_CONNECT_ADDR:-$(echo "$addresses" | head -n1)}"

# 3. The HTTP-only site (or the full one when a certificate already exists), enabled and loaded.
mkdir -p "$EFF_WEBROOT/.well-known/acme-challenge" "$NGINX_SITES_DIR" "$NGINX_ENABLED_DIR"
reload_nginx() {
  $NGINX_TEST_CMD >/dev/null 2>&1 || { $NGINX_TEST_CMD || true; die "nginx -t failed (see above); nothing was reloaded"; }
  if pgrep -x nginx >/dev/null 2>&1; then $NGINX_RELOAD_CMD; else $NGINX_START_CMD; fi
  sleep "${SETUP_SSL_RELOAD_WAIT:-1}"
}
install_site() {
  local tmp
  tmp="$(mktemp)"
  EFF_SSL_CERT="$live/fullchain.pem" EFF_SSL_KEY="$live/privkey.pem" "$render" --domain "$domain" "$@" >"$tmp"
  if [ -f "$site" ] && cmp -s "$tmp" "$site"; then rm -f "$tmp"; else mv "$tmp" "$site"; chmod 0644 "$site"; fi
  ln -sfn "$site" "$NGINX_ENABLED_DIR/$domain.conf"
}
if [ -s "$live/fullchain.pem" ]; then install_site; else install_site --http-only; fi
if [ -f "$NGINX_MAIN_CONF" ] && grep -Eq '^\s*ssl_protocols[^;]*TLSv1(\.1)?[ ;]' "$NGINX_MAIN_CONF"; then
  say "narrowing ssl_protocols in $NGINX_MAIN_CONF to TLSv1.2 TLSv1.3 (backup: $NGINX_MAIN_CONF.bak)"
  cp -p "$NGINX_MAIN_CONF" "$NGINX_MAIN_CONF.bak"
  sed -Ei 's/^(\s*)ssl_protocols[^;]*;/\1ssl_protocols TLSv1.2 TLSv1.3;/' "$NGINX_MAIN_CONF"
fi
reload_nginx

# 4. Port 80 reaches this Nginx (firewall, cloud security group, DNS pointing elsewhere all show up here).
probe="eff-probe-$(date +%s)-$$"
echo "$probe" >"$EFF_WEBROOT/.well-known/acme-challenge/$probe"
chmod -R a+rX "$EFF_WEBROOT"
got="$(curl -sS --max-time 10 --resolve "$domain:$http_port:$connect_addr" \
  "http://$domain:$http_port/.well-known/acme-challenge/$probe" 2>&1 || true)"
rm -f "$EFF_WEBROOT/.well-known/acme-challenge/$probe"
[ "$got" = "$probe" ] ||
  die "port $http_port of $domain ($connect_addr) does not reach this Nginx (got: ${got:0:200}). Open 80/tcp (deploy/scripts/firewall.sh and any cloud firewall) and check that DNS points here"
say "port $http_port reaches this Nginx"

# 5. Certificate
certbot_args=(certonly --webroot -w "$EFF_WEBROOT" -d "$domain" --non-interactive --agree-tos
  --keep-until-expiring "${certbot_dirs[@]}")
if [ -n "$email" ]; then certbot_args+=(--email "$email"); else certbot_args+=(--register-unsafely-without-email); fi
[ "$staging" = 1 ] && certbot_args+=(--staging)
[ -n "$server" ] && certbot_args+=(--server "$server")
[ "$dry_run" = 1 ] && certbot_args+=(--dry-run)
# shellcheck disable=SC2206
[ -n "${CERTBOT_EXTRA_ARGS:-}" ] && certbot_args+=(${CERTBOT_EXTRA_ARGS})
say "certbot ${certbot_args[*]}"
certbot "${certbot_args[@]}" || die "certbot could not obtain a certificate for $domain (see its log above)"

if [ "$dry_run" = 1 ]; then
  say "dry run succeeded: the CA could validate $domain; no certificate saved, the HTTP-only site stays"
  exit 0
fi

# 6. Renewal hook: certbot's timer renews; this reloads Nginx after every successful renewal.
hook_dir="$config_dir/renewal-hooks/deploy"
mkdir -p "$hook_dir"
cat >"$hook_dir/eff-reload-nginx.sh" <<HOOK
#!/bin/sh
# Installed by deploy/scripts/setup-ssl.sh: load a renewed certificate.
set -e
$NGINX_TEST_CMD
$NGINX_RELOAD_CMD
HOOK
chmod 0755 "$hook_dir/eff-reload-nginx.sh"

# 7. The full site
install_site
reload_nginx

# 8. Verify: the new certificate is served for the domain over TLS 1.2+.
verify_args=(-sS -o /dev/null -w '%{http_code} %{http_version}' --max-time 15 --resolve "$domain:$https_port:$connect_addr")
[ -n "${SETUP_SSL_VERIFY_CA:-}" ] && verify_args+=(--cacert "$SETUP_SSL_VERIFY_CA")
result="$(curl "${verify_args[@]}" "https://$domain:$https_port/api/v1/health")" ||
  die "HTTPS on $domain:$https_port does not verify (curl: $result)"
expiry="$(openssl x509 -noout -enddate -in "$live/fullchain.pem" | cut -d= -f2)"
say "HTTPS works: https://$domain$([ "$https_port" = 443 ] || echo ":$https_port")/api/v1/health answered ${result} (HTTP status, version); certificate valid until $expiry"
[ "${result%% *}" = 200 ] || say "note: the API itself did not answer 200 (is it running on $upstream?)"
say "renewal: certbot's timer renews automatically; test it with: certbot renew --dry-run ${certbot_dirs[*]}"
