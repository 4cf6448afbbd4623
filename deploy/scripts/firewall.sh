#!/usr/bin/env bash
# UFW for an API host: SSH, HTTP and HTTPS in; everything else in (the API's 5000, PostgreSQL's 5432, Redis's 6379)
# refused; everything out allowed. Idempotent: UFW skips rules it already has.
#
#   sudo deploy/scripts/firewall.sh [--dry-run] [--ssh-port 22] [--ssh-from CIDR]
#
#   --dry-run        print the ufw commands instead of running them (no root needed)
#   --ssh-port P     SSH port if not 22
#   --ssh-from CIDR  allow SSH only from this network (an office or VPN), rate-limited either way
#
# Docker warning: ports that Docker publishes (`ports:` in compose) are written straight into iptables' DOCKER
# chains and bypass UFW entirely. docker-compose.yml therefore publishes only Nginx's 80/443; never publish 5000,
# 5432 or 6379 (bind to 127.0.0.1 if you must reach one from the host). See deploy/docs/GUIDE.md ("Firewall").
set -euo pipefail

dry_run=0 ssh_port=22 ssh_from=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) dry_run=1; shift ;;
    --ssh-port) ssh_port="${2:-}"; shift 2 ;;
    --ssh-from) ssh_from="${2:-}"; shift 2 ;;
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ "$ssh_port" =~ ^[0-9]{1,5}$ ]] || { echo "--ssh-port must be a number" >&2; exit 2; }
if [ -n "$ssh_from" ] && ! [[ "$ssh_from" =~ ^[0-9a-fA-F.:/]+$ ]]; then
  echo "--ssh-from must be an address or CIDR" >&2
  exit 2
fi

run() {
  if [ "$dry_run" = 1 ]; then
    printf 'ufw'; printf ' %q' "$@"; printf '\n'
  else
    ufw "$@"
  fi
}

if [ "$dry_run" = 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "run as root (sudo $0), or with --dry-run to see the commands" >&2; exit 1; }
  if ! command -v ufw >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ufw
  fi
fi

run default deny incoming
run default allow outgoing
# SSH first, so enabling the firewall never locks out the session running this.
if [ -n "$ssh_from" ]; then
  run limit from "$ssh_from" to any port "$ssh_port" proto tcp comment 'SSH'
else
  run limit "$ssh_port/tcp" comment 'SSH'
fi
run allow 80/tcp comment 'HTTP (ACME challenges, redirect)'
run allow 443/tcp comment 'HTTPS (Nginx)'
# Explicit denials document intent and win over any broader allow added later.
run deny 5000/tcp comment 'API: only Nginx on localhost'
run deny 5432/tcp comment 'PostgreSQL: internal only'
run deny 6379/tcp comment 'Redis: internal only'
run --force enable
run status verbose

if command -v docker >/dev/null 2>&1 && [ "$dry_run" = 0 ]; then
  published="$(docker ps --format '{{.Names}} {{.Ports}}' 2>/dev/null | grep -E '0\.0\.0\.0:(5000|5432|6379)->|\[::\]:(5000|5432|6379)->' || true)"
  if [ -n "$published" ]; then
    echo "WARNING: these containers publish internal ports to every interface, bypassing UFW:" >&2
    echo "$published" >&2
  fi
fi
